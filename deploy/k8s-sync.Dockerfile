# The image deploy/kubernetes/xds/40-k8s-sync.yaml runs: the edgevoy CLI with
# its runtime dependencies (hono, zod, yaml) and tsx, which bin/edgevoy.mjs
# uses to run the TypeScript sources. k8s-sync needs nothing else.
#   docker build -f deploy/k8s-sync.Dockerfile -t <registry>/edgevoy:0.1.0 .
FROM node:20-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm install --no-save --no-audit --no-fund tsx@4.23.15
COPY bin ./bin
COPY src ./src
COPY tsconfig.json ./
USER node
ENTRYPOINT ["node", "bin/edgevoy.mjs"]
