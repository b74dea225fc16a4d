export * as events from "./events";
