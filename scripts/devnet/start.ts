// `npm start`: the local devnet. Until the devnet lands this says so honestly and exits 0.
console.log(
  [
    "Vigil devnet is not built yet.",
    "What works today: `npm test` (type check, lint, contract and unit tests) and `npm run bench -- --list`.",
  ].join("\n"),
);
