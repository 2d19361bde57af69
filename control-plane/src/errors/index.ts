export {
  ERROR_REGISTRY,
  errorCodes,
  isErrorCode,
  statusOf,
  type ErrorCode,
  type ErrorEntry,
} from './registry';
export { TremorError, httpError, type ErrorBody, type Problem } from './tremor-error';
