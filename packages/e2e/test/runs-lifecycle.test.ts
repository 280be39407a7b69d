import { useTestStack } from '@baton/testing';
import { describeRunLifecycle } from './run-lifecycle-scenarios.js';

describeRunLifecycle(useTestStack());
