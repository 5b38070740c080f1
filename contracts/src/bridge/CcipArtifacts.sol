// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// Chainlink's CCIP contracts the bridge deploys from TypeScript (ccip-bridge/setup, ccip-bridge/lane).
// Importing them here makes `forge build` write their artifacts to contracts/out.
import {BurnMintTokenPool} from "@chainlink/contracts-ccip/contracts/pools/BurnMintTokenPool.sol";
import {
    RegistryModuleOwnerCustom
} from "@chainlink/contracts-ccip/contracts/tokenAdminRegistry/RegistryModuleOwnerCustom.sol";
import {
    TokenAdminRegistry
} from "@chainlink/contracts-ccip/contracts/tokenAdminRegistry/TokenAdminRegistry.sol";
