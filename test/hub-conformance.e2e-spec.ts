/** The in-memory store and the in-process transport pass the suites every store and transport must pass. */
import { InMemoryHubStore, InProcessTransport } from '../lib/index.js';
import { describeHubStore } from './conformance/hub-store.conformance.js';
import { describeHubTransport } from './conformance/hub-transport.conformance.js';

describeHubStore('InMemoryHubStore', (history) => {
  const store = new InMemoryHubStore(history);
  return {
    store,
    // A new process: a new, empty store.
    restart: () => new InMemoryHubStore(history),
    dispose: () => store.close(),
  };
});

describeHubTransport('InProcessTransport', () => {
  // One process: every "instance" shares the one in-process transport.
  const transport = new InProcessTransport();
  return { create: () => transport, dispose: () => transport.close() };
});
