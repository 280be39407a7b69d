import { scenarioA, scenarioB, scenarioC } from './abc.js';

export const SCENARIOS = {
  A: scenarioA,
  B: scenarioB,
  C: scenarioC,
};
