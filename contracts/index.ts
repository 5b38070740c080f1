// Everything in contracts/: the portable surface (./portable: ABIs, lines, votes, reports) and the
// Node-only one (./node: forge artifacts, deployment files). Code that must run outside Node (the feed
// client, workflows, browsers) imports ./portable.
export * from "./node";
export * from "./portable";
