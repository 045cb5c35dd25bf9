/**
 * jwt_authn's failure reasons, worded as Envoy's jwt_verify_lib words them:
 * the text is the 401/403 body Envoy sends.
 * https://github.com/google/jwt_verify_lib/blob/master/src/status.cc
 * (now envoy/source/common/jwt/status.cc)
 */
export const JWT_STATUS = {
  JwtMissed: 'Jwt is missing',
  JwtBadFormat: 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections',
  JwtHeaderParseError: 'Jwt header is an invalid JSON',
  JwtPayloadParseError: 'Jwt payload is an invalid JSON',
  JwtSignatureParseError: 'Jwt signature is an invalid Base64url encoded',
  // jwt_verify_lib's Jwt::parseFromString checks each registered claim's JSON type
  // (StructUtils::GetString / GetUInt64 / GetStringList); a wrong type rejects the token.
  JwtPayloadParseErrorIssNotString: 'Jwt payload [iss] field is not a string',
  JwtPayloadParseErrorSubNotString: 'Jwt payload [sub] field is not a string',
  JwtPayloadParseErrorIatNotInteger: 'Jwt payload [iat] field is not an integer',
  JwtPayloadParseErrorIatOutOfRange: 'Jwt payload [iat] field is not a positive 64 bit integer',
  JwtPayloadParseErrorNbfNotInteger: 'Jwt payload [nbf] field is not an integer',
  JwtPayloadParseErrorNbfOutOfRange: 'Jwt payload [nbf] field is not a positive 64 bit integer',
  JwtPayloadParseErrorExpNotInteger: 'Jwt payload [exp] field is not an integer',
  JwtPayloadParseErrorExpOutOfRange: 'Jwt payload [exp] field is not a positive 64 bit integer',
  JwtPayloadParseErrorJtiNotString: 'Jwt payload [jti] field is not a string',
  JwtPayloadParseErrorAudNotString: 'Jwt payload [aud] field is not a string or string list',
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
