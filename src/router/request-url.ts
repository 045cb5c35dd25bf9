/**
 * The parts of a request's URL the connection manager and routing read, as
 * `new URL(url)` gives them, without building a URL object for the common
 * request: a URL whose WHATWG serialization is itself (lower-case http(s)
 * scheme and host name, no default or zero-padded port, no dot segment, only
 * characters the parser keeps as they are) is split as a string; any other
 * goes through the URL parser. https://url.spec.whatwg.org/#concept-basic-url-parser
 * test/node/request-url.test.ts holds the two to the same answers.
 */

export interface UrlParts {
  /** `protocol` without its `:`. */
  readonly scheme: string
  /** Host name and port, as URL's `host`. */
  readonly host: string
  readonly pathname: string
  /** `?…`, or '' when the query is empty or absent (URL's `search`). */
  readonly search: string
}

/**
 * Groups: scheme, host name, port, path, query. A host name of letters,
 * digits and hyphens whose last label starts with a letter (one that starts
 * with a digit may be an IPv4 address the parser rewrites), no `xn--` label
 * (IDNA checks them); a path and query of characters outside every percent-encode set,
 * `'` left out of the query (special schemes encode it); no `#`.
 */
const CANONICAL = /^(https?):\/\/((?:[a-z0-9-]+\.)*[a-z][a-z0-9-]*)(?::([1-9][0-9]{0,4}))?(\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*)(?:\?([A-Za-z0-9\-._~!$&()*+,;=:@/?%]*))?$/

/** `url` as URL would read it (see the module comment); throws as URL does for an invalid one. */
export function urlParts(url: string): UrlParts {
  const m = CANONICAL.exec(url)
  if (m !== null) {
    const [, scheme, hostname, port, pathname, query] = m as unknown as [string, string, string, string | undefined, string, string | undefined]
    // Dot segments (`/./`, `/../`, `%2e` spellings) are resolved by the parser; so are default ports, ports past 65535 and `xn--` labels.
    if (!pathname.includes('/.') && !/%2e/i.test(pathname) && !hostname.includes('xn--') && (port === undefined || (Number(port) <= 65535 && port !== (scheme === 'http' ? '80' : '443'))))
      return { scheme, host: port === undefined ? hostname : `${hostname}:${port}`, pathname, search: query ? `?${query}` : '' }
  }
  return partsOf(new URL(url))
}

export function partsOf(url: URL): UrlParts {
  return { scheme: url.protocol.slice(0, -1), host: url.host, pathname: url.pathname, search: url.search }
}
