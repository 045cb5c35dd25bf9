/**
 * fast-check generators for route matches and requests: a small alphabet so
 * random paths, prefixes and regexes collide often (routing-differential and
 * snapshot-roundtrip share them).
 */
import fc from 'fast-check'

// A small alphabet so that random paths and prefixes collide often.
export const segment = fc.constantFrom('a', 'ab', 'abc', 'api', 'API', 'v1', 'v2', 'v12', '123', 'x.y', 'x.png', 'b-c', '%20', '')
export const pathArb = fc.array(segment, { minLength: 0, maxLength: 4 }).map((s) => '/' + s.join('/'))
export const prefixArb = fc.oneof(pathArb, pathArb.map((p) => p.slice(0, Math.max(1, p.length - 1))))

export const headerArb = fc.record({
  name: fc.constantFrom('x-a', 'x-b', ':method'),
  string_match: fc.oneof(
    fc.record({ exact: fc.constantFrom('1', '2', 'GET', 'POST') }),
    fc.record({ prefix: fc.constantFrom('1', 'G', 'P') }),
  ),
  invert_match: fc.boolean(),
})
// Names and values that also occur in paths, so a query matcher read from the path would show.
export const queryArb = fc.record({ name: fc.constantFrom('q', 'r', 'a', '/a', '%2Fa'), string_match: fc.record({ exact: fc.constantFrom('1', '2', '', '%20') }) })
// RouteMatch.cookies: names and values the request's Cookie header uses.
export const cookieArb = fc.record({ name: fc.constantFrom('sid', 'track'), string_match: fc.record({ exact: fc.constantFrom('1', 'beta') }), invert_match: fc.boolean() }, { requiredKeys: ['name', 'string_match'] })

// Regex path shapes the index derives Hono patterns from (literals, one-segment
// classes) and shapes it must give up on or widen (wildcards, alternation,
// optional groups, escaped or quantified slashes, a class whose range holds "/").
const regexPiece = fc.constantFrom(
  'a', 'ab', 'api', 'v1', 'x\\.y', 'b-c', '%20', 'v[0-9]+', '[0-9]+', '[^/]+', '[a-z]+', '\\d+', '\\w{1,3}', '[0-9]{1,3}',
  '.*', '.*\\.png', '[!-z]+', '(a|ab)', 'a(/b)?', 'ab?', 'a\\/b', '?', '[^/]*', '',
)
export const regexArb = fc
  .record({ pieces: fc.array(regexPiece, { minLength: 1, maxLength: 4 }), start: fc.boolean(), end: fc.boolean() })
  .map(({ pieces, start, end }) => `${start ? '^' : ''}/${pieces.join('/')}${end ? '$' : ''}`)

export const matchArb = fc
  .record({
    spec: fc.oneof(
      prefixArb.map((p) => ({ prefix: p })),
      pathArb.map((p) => ({ path: p })),
      pathArb.filter((p) => p.length > 1 && !p.endsWith('/')).map((p) => ({ path_separated_prefix: p })),
      pathArb.map((p) => ({ safe_regex: { regex: p.replace(/\./g, '\\.') + '(/.*)?' } })),
      regexArb.map((regex) => ({ safe_regex: { regex } })),
      regexArb.map((regex) => ({ safe_regex: { regex } })),
    ),
    caseInsensitive: fc.boolean(),
    headers: fc.array(headerArb, { maxLength: 2 }),
    query: fc.array(queryArb, { maxLength: 1 }),
    // runtime_fraction: decided with a fixed random value by the tests that use this (0, 30, 100 out of 100).
    fraction: fc.option(fc.constantFrom(0, 30, 100), { nil: undefined }),
    cookies: fc.oneof({ arbitrary: fc.constant([]), weight: 5 }, { arbitrary: fc.array(cookieArb, { minLength: 1, maxLength: 1 }), weight: 1 }),
  })
  .map(({ spec, caseInsensitive, headers, query, fraction, cookies }) => ({
    ...spec,
    ...(caseInsensitive ? { case_sensitive: false } : {}),
    ...(headers.length ? { headers } : {}),
    ...(query.length ? { query_parameters: query } : {}),
    ...(fraction !== undefined ? { runtime_fraction: { default_value: { numerator: fraction } } } : {}),
    ...(cookies.length ? { cookies } : {}),
  }))

export const requestArb = fc.record({
  // `;params` in the path (ignore_path_parameters_in_path_matching) and raw query values (%20 is not decoded).
  path: fc.tuple(pathArb, fc.oneof({ arbitrary: fc.constant(''), weight: 6 }, { arbitrary: fc.constantFrom(';v=1', ';a=b/c'), weight: 1 })).map(([p, params]) => p + params),
  query: fc.constantFrom('', '?q=1', '?q=2&r=1', '?r=2', '?a', '?%2Fa=', '?q=%20', '?q=+'),
  cookie: fc.option(fc.constantFrom('sid=1', 'track=beta; sid=2', 'track="1"'), { nil: undefined }),
  method: fc.constantFrom('GET', 'POST'),
  xa: fc.option(fc.constantFrom('1', '2'), { nil: undefined }),
  xb: fc.option(fc.constantFrom('1', 'GET'), { nil: undefined }),
})

