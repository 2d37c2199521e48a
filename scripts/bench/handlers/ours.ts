// lambda-governance: required from the layer at run time (external here, found through NODE_PATH).
import { governance, withGovernance } from 'lambda-governance';
import { work, type BenchEvent } from './work.js';

export const handler = withGovernance(async (event?: BenchEvent) => {
  for (let i = 0; i < (event?.spans ?? 0); i++) await governance.span('work', () => work());
  return 1;
}, { team: 'bench', project: 'bench' });
