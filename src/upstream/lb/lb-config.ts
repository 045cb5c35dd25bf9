/**
 * The per-policy load-balancer settings of a cluster (`least_request_lb_config`,
 * `ring_hash_lb_config`, `maglev_lb_config`, `common_lb_config`), compiled with
 * Envoy's defaults into `Cluster.lb`; a balancer built without a cluster gets the defaults.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/cluster/v3/cluster.proto
 */
import { DEFAULT_CLUSTER_LB, MAGLEV_DEFAULT_TABLE_SIZE, RING_HASH_LIMIT } from '../../compile/ir'
import type { Cluster, ClusterLbConfig } from '../../compile/types'

export { MAGLEV_DEFAULT_TABLE_SIZE, RING_HASH_LIMIT }

export type LeastRequestConfig = ClusterLbConfig['leastRequest']
export type RingHashConfig = ClusterLbConfig['ringHash']

const lbOf = (cluster: Cluster | undefined): ClusterLbConfig => cluster?.lb ?? DEFAULT_CLUSTER_LB

export const leastRequestConfig = (cluster: Cluster | undefined): LeastRequestConfig => lbOf(cluster).leastRequest
export const ringHashConfig = (cluster: Cluster | undefined): RingHashConfig => lbOf(cluster).ringHash
export const maglevTableSize = (cluster: Cluster | undefined): number => lbOf(cluster).maglevTableSize
/** `common_lb_config.locality_weighted_lb_config` is set (its presence is the switch). */
export const localityWeighted = (cluster: Cluster | undefined): boolean => lbOf(cluster).localityWeighted
export const coloRegions = (cluster: Cluster | undefined): ClusterLbConfig['coloRegions'] => lbOf(cluster).coloRegions
