export { constantTimeEqual } from './constant-time.js';
export type { SignatureCheck } from './signature-check.js';
export { verifyGithubSignature, verifyGitlabToken } from './provider-signatures.js';
export {
  DEFAULT_TOLERANCE_SECONDS,
  SIGNATURE_HEADER,
  signTimestamped,
  verifyTimestamped,
} from './timestamped-hmac.js';
export { deliveryIdentity, type DeliveryIdentity, type HookSource } from './delivery-identity.js';
