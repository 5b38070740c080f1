export { type InitNodeOptions, type InitNodeResult, initNode } from "./initNode";
export { formatCliError, nodeCommand } from "./nodeCommand";
export { runUntilSignal } from "./runUntilSignal";
