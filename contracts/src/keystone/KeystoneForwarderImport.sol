// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// Makes `forge build` emit Chainlink's KeystoneForwarder artifact, which the deploy script and the TypeScript
// tests deploy as is.
import {KeystoneForwarder} from "@chainlink/contracts/src/v0.8/keystone/KeystoneForwarder.sol";
