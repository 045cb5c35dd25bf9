/**
 * The downstream client's address. Cloudflare puts the connecting client's IP
 * in `CF-Connecting-IP`; it is what Envoy calls the remote (and, at the edge,
 * the direct remote) address.
 * https://developers.cloudflare.com/fundamentals/reference/http-headers/#cf-connecting-ip
 */
export const clientAddress = (request: Request): string | undefined => request.headers.get('cf-connecting-ip') ?? undefined
