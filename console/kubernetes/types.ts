/** The few fields the console reads from Kubernetes API objects (apps/v1, autoscaling/v2, keda.sh/v1alpha1, v1 Event). */

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  creationTimestamp?: string;
}

export interface List<T> {
  items: T[];
}

export interface Deployment {
  metadata: ObjectMeta;
  spec?: { replicas?: number };
  status?: { replicas?: number; readyReplicas?: number; availableReplicas?: number; updatedReplicas?: number };
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface HorizontalPodAutoscaler {
  metadata: ObjectMeta;
  spec?: { scaleTargetRef?: { kind?: string; name?: string }; minReplicas?: number; maxReplicas?: number };
  status?: {
    currentReplicas?: number;
    desiredReplicas?: number;
    lastScaleTime?: string;
    currentMetrics?: { type: string; external?: { metric?: { name?: string }; current?: { averageValue?: string; value?: string } } }[];
    conditions?: Condition[];
  };
}

export interface ScaledObject {
  metadata: ObjectMeta;
  spec?: {
    scaleTargetRef?: { name?: string };
    minReplicaCount?: number;
    maxReplicaCount?: number;
    pollingInterval?: number;
    cooldownPeriod?: number;
    triggers?: { type: string; metadata?: Record<string, string> }[];
  };
  status?: { lastActiveTime?: string; conditions?: Condition[]; hpaName?: string; originalReplicaCount?: number };
}

export interface KubernetesEvent {
  metadata: ObjectMeta;
  involvedObject: { kind?: string; name?: string; namespace?: string };
  reason?: string;
  message?: string;
  type?: 'Normal' | 'Warning';
  count?: number;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
}
