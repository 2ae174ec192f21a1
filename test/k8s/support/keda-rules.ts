/**
 * What KEDA 2.19 accepts that its CRD schema does not say: trigger types and their metadata keys, and the
 * TriggerAuthentication parameters each scaler reads (from pkg/scalers/*_scaler.go `keda:"name=..."` tags).
 */
export interface TriggerRule {
  metadata: readonly string[];
  /** Each entry: one of these keys must be present. */
  required: readonly (readonly string[])[];
  authParameters: readonly string[];
}

export const triggerRules: Record<string, TriggerRule> = {
  rabbitmq: {
    metadata: [
      'host', 'hostFromEnv', 'protocol', 'mode', 'value', 'activationValue', 'queueName', 'vhostName', 'queueLength',
      'useRegex', 'pageSize', 'operation', 'timeout', 'excludeUnacknowledged', 'unsafeSsl', 'usernameFromEnv', 'passwordFromEnv',
    ],
    required: [['queueName'], ['mode'], ['value']],
    authParameters: ['host', 'protocol', 'vhostName', 'username', 'password', 'tls', 'ca', 'cert', 'key', 'keyPassword', 'workloadIdentityResource'],
  },
  'aws-sqs-queue': {
    metadata: [
      'queueURL', 'queueURLFromEnv', 'queueLength', 'activationQueueLength', 'awsRegion', 'awsEndpoint', 'scaleOnInFlight',
      'scaleOnDelayed', 'identityOwner',
    ],
    required: [['queueURL', 'queueURLFromEnv'], ['queueLength']],
    authParameters: ['awsRegion', 'awsAccessKeyID', 'awsSecretAccessKey', 'awsSessionToken', 'awsRoleArn', 'awsExternalID'],
  },
  cpu: { metadata: ['value', 'containerName'], required: [['value']], authParameters: [] },
  memory: { metadata: ['value', 'containerName'], required: [['value']], authParameters: [] },
};

export const podIdentityProviders = ['none', 'azure-workload', 'aws', 'aws-eks', 'gcp'];
