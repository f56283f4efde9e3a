/**
 * Every workflow Cairn runs on Temporal, in the one module `cairn worker` bundles for its
 * workflow sandbox (webpack + swc, from this file in a clone or its compiled .js when installed).
 * A new durable process (the closed-loop controller) adds its workflow here.
 */
export { cairnPipelineRun } from '../pipeline/executors/temporal/pipeline-workflow.ts';
