// bull-board's validator (valibot) declares TypeScript as an optional peer; pnpm would resolve it
// from the workspace root and ship TypeScript in the production layout (`pnpm deploy --prod`).
// Nothing needs it at run time, so the peer is dropped here.
module.exports = {
  hooks: {
    readPackage(pkg) {
      if (pkg.name === 'valibot' && pkg.peerDependencies) {
        delete pkg.peerDependencies.typescript;
        if (pkg.peerDependenciesMeta) delete pkg.peerDependenciesMeta.typescript;
      }
      return pkg;
    },
  },
};
