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
      'host',
      'hostFromEnv',
      'protocol',
      'mode',
      'value',
      'activationValue',
      'queueName',
      'vhostName',
      'queueLength',
      'useRegex',
      'pageSize',
      'operation',
      'timeout',
      'excludeUnacknowledged',
      'unsafeSsl',
      'usernameFromEnv',
      'passwordFromEnv',
    ],
    required: [['queueName'], ['mode'], ['value']],
    authParameters: ['host', 'protocol', 'vhostName', 'username', 'password', 'tls', 'ca', 'cert', 'key', 'keyPassword', 'workloadIdentityResource'],
  },
  'aws-sqs-queue': {
    metadata: [
      'queueURL',
      'queueURLFromEnv',
      'queueLength',
      'activationQueueLength',
      'awsRegion',
      'awsEndpoint',
      'scaleOnInFlight',
      'scaleOnDelayed',
      'identityOwner',
    ],
    required: [['queueURL', 'queueURLFromEnv'], ['queueLength']],
    authParameters: ['awsRegion', 'awsAccessKeyID', 'awsSecretAccessKey', 'awsSessionToken', 'awsRoleArn', 'awsExternalID'],
  },
  // external_scaler.go: scalerAddress, TLS switches; every key is also passed to the scaler (ours reads `function`).
  'external-push': { metadata: ['scalerAddress', 'enableTLS', 'unsafeSsl', 'function'], required: [['scalerAddress'], ['function']], authParameters: [] },
  cpu: { metadata: ['value', 'containerName'], required: [['value']], authParameters: [] },
  memory: { metadata: ['value', 'containerName'], required: [['value']], authParameters: [] },
};

export const podIdentityProviders = ['none', 'azure-workload', 'aws', 'aws-eks', 'gcp'];

/**
 * What KEDA would reject or silently ignore in a ScaledObject's triggers: unknown types and metadata keys,
 * missing required keys, a missing TriggerAuthentication or parameters its scaler does not read.
 */
export function triggerProblems(scaledObject: { metadata: { name: string }; spec?: any }, authentications: Map<string, any>): string[] {
  const problems: string[] = [];
  for (const trigger of scaledObject.spec?.triggers ?? []) {
    const at = `${scaledObject.metadata.name} trigger ${trigger.type}`;
    const rule = triggerRules[trigger.type];
    if (!rule) {
      problems.push(`${at}: unknown trigger type`);
      continue;
    }
    for (const key of Object.keys(trigger.metadata ?? {})) if (!rule.metadata.includes(key)) problems.push(`${at}: unknown metadata key ${key}`);
    for (const oneOf of rule.required) if (!oneOf.some((key) => key in (trigger.metadata ?? {}))) problems.push(`${at}: needs ${oneOf.join(' or ')}`);
    if (rule.authParameters.length === 0) continue;
    const auth = authentications.get(trigger.authenticationRef?.name);
    if (!auth) {
      problems.push(`${at}: no TriggerAuthentication ${trigger.authenticationRef?.name}`);
      continue;
    }
    const parameters = [...(auth.secretTargetRef ?? []), ...(auth.env ?? []), ...(auth.configMapTargetRef ?? [])].map((ref: any) => ref.parameter);
    for (const parameter of parameters) if (!rule.authParameters.includes(parameter)) problems.push(`${at}: its scaler reads no parameter ${parameter}`);
    if (auth.podIdentity && !podIdentityProviders.includes(auth.podIdentity.provider)) problems.push(`${at}: pod identity ${auth.podIdentity.provider}`);
  }
  return problems;
}
