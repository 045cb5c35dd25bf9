/**
 * jwt_authn's failure reasons, worded as Envoy's jwt_verify_lib words them:
 * the text is the 401/403 body Envoy sends.
 * https://github.com/google/jwt_verify_lib/blob/master/src/status.cc
 */
export const JWT_STATUS = {
  JwtMissed: 'Jwt is missing',
  JwtBadFormat: 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections',
  JwtHeaderParseError: 'Jwt header is an invalid JSON',
  JwtPayloadParseError: 'Jwt payload is an invalid JSON',
  JwtSignatureParseError: 'Jwt signature is an invalid Base64url encoded',
  JwtUnknownIssuer: 'Jwt issuer is not configured',
  JwtAudienceNotAllowed: 'Audiences in Jwt are not allowed',
  JwtExpired: 'Jwt is expired',
  JwtNotYetValid: 'Jwt not yet valid',
  JwtVerificationFail: 'Jwt verification fails',
  JwksKidAlgMismatch: "Jwks doesn't have key to match kid or alg from Jwt",
  JwksFetchFail: 'Jwks remote fetch is failed',
  JwksParseError: 'Jwks is an invalid JSON',
} as const

export type JwtStatus = keyof typeof JWT_STATUS | 'Ok'
