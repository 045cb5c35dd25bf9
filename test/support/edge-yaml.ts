/**
 * The smallest YAML config the admin tests push around: one listener `edge`,
 * one route `all` to one STATIC cluster on 127.0.0.1. Written out in full,
 * as an operator would send it.
 */
export const edgeYaml = (cluster: string, port: number) => `
static_resources:
  listeners:
  - name: edge
    address: { socket_address: { address: 0.0.0.0, port_value: 8080 } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: edge
          route_config:
            virtual_hosts:
            - name: main
              domains: ["*"]
              routes:
              - name: all
                match: { prefix: "/" }
                route: { cluster: ${cluster} }
          http_filters: [{ name: envoy.filters.http.router }]
  clusters:
  - name: ${cluster}
    type: STATIC
    load_assignment: { endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${port} } } } }] }] }
`
