export { Agent, type AgentOptions, type TickOutcome } from "./agent";
export { createAgentApi, type AgentApi } from "./api/agentApi";
export { DockerRuntime, dockerOptions } from "./runtime/dockerRuntime";
export { SimulatedRuntime } from "./runtime/simulatedRuntime";
export { memoryStateStore, fileStateStore } from "./state/agentState";
export { LABELS } from "./reconcile/labels";
