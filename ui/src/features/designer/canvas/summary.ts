import { isExpr, isObject, type Json, type Step } from "../model/types";

function show(value: Json | undefined): string {
  if (value === undefined) return "";
  if (isExpr(value)) return value.$expr;
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** One line saying what a step does, for its card. */
export function summarize(step: Step): string {
  const config = isObject(step.config) ? step.config : {};
  switch (step.type) {
    case "control.if":
      return `if ${show(step.condition)}`;
    case "control.forEach":
      return `each ${show(step.items)} as ${show(step.itemVar)}`;
    case "control.tryCatch":
      return step.captureErrorAs ? `error saved as vars.${show(step.captureErrorAs)}` : "";
    case "control.callWorkflow":
      return `workflow ${show(step.workflowId) || "(not chosen)"}${step.workflowVersion ? ` v${show(step.workflowVersion)}` : ""}`;
    case "control.return":
      return "end the run";
    case "action.call":
      return `${show(config.actionId) || "(no action)"} v${show(config.version)}${config.saveAs ? ` → ${show(config.saveAs)}` : ""}`;
    case "state.set":
      return `state = ${show(config.state) || "(empty)"}`;
    case "transform.assign":
      return isObject(config.assign) ? Object.keys(config.assign).join(", ") : "";
    case "event.wait":
      return `${show(config.eventName)} by ${show(config.correlationKey)}`;
    case "human.task":
      return show(config.title);
    default:
      return config.saveAs ? `→ ${show(config.saveAs)}` : "";
  }
}
