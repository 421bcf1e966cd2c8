/**
 * The control channel `agent stop` uses to ask a running agent to shut down
 * now (a Kubernetes preStop hook, or by hand). It listens on loopback only, on
 * a port the OS picks, and accepts a request only with the token found in the
 * control file, which only the agent's user can read.
 *
 * @module
 */

export { CONTROL_ENV_VAR, type ControlFile, controlFilePath } from "./file.ts";
export { type ControlServer, startControlServer } from "./server.ts";
export { ControlError, requestStop, type StopReply } from "./client.ts";
