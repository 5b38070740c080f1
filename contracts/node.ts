// The Node-only surface of contracts/: reads forge artifacts and deployment files from disk.
export { FORGE_OUT, type ForgeArtifact, loadArtifact } from "./artifacts";
export { type Deployment, deploymentSchema, loadDeployment } from "./deployment";
