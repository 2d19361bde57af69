/**
 * The DynamoDB client a coordinator builds from its environment. The SDK itself reads
 * AWS_ENDPOINT_URL_DYNAMODB, then AWS_ENDPOINT_URL (unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS),
 * AWS_REGION and the credential chain; what it lacks is a default region: without AWS_REGION it
 * asks the profile files, then the EC2 metadata service, and fails with "Region is missing" on a
 * laptop. So this only adds `us-east-1` when AWS_REGION is unset (a profile's region is then not
 * consulted: set AWS_REGION to choose another).
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';

export const DEFAULT_REGION = 'us-east-1';

export function dynamoDbClientFromEnv(
  config: DynamoDBClientConfig = {},
  env: NodeJS.ProcessEnv = process.env,
): DynamoDBClient {
  const region = config.region ?? (env.AWS_REGION || DEFAULT_REGION);
  return new DynamoDBClient({ ...config, region });
}
