import { scenarioA, scenarioB, scenarioC, scenarioP } from './abc.js';
import { scenarioD } from './d-hop.js';
import { scenarioE } from './e-http.js';
import { scenarioF } from './f-little.js';
import { scenarioG } from './g-memory.js';
import { scenarioH } from './h-idle.js';
import { scenarioI } from './i-fan-out.js';

export const SCENARIOS = {
  A: scenarioA,
  B: scenarioB,
  P: scenarioP,
  C: scenarioC,
  D: scenarioD,
  E: scenarioE,
  F: scenarioF,
  G: scenarioG,
  H: scenarioH,
  I: scenarioI,
};
