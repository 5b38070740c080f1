// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {LaneMessage} from "../../src/bridge/lane/LaneMessage.sol";
import {LaneOffRamp} from "../../src/bridge/lane/LaneOffRamp.sol";
import {LaneOnRamp} from "../../src/bridge/lane/LaneOnRamp.sol";
import {LaneRouter} from "../../src/bridge/lane/LaneRouter.sol";
import {LocalRMN} from "../../src/bridge/lane/LocalRMN.sol";
import {VigilToken} from "../../src/token/VigilToken.sol";
import {IBurnMintERC20} from "@chainlink/contracts-ccip/contracts/interfaces/IBurnMintERC20.sol";
import {RateLimiter} from "@chainlink/contracts-ccip/contracts/libraries/RateLimiter.sol";
import {BurnMintTokenPool} from "@chainlink/contracts-ccip/contracts/pools/BurnMintTokenPool.sol";
import {TokenPool} from "@chainlink/contracts-ccip/contracts/pools/TokenPool.sol";
import {
    RegistryModuleOwnerCustom
} from "@chainlink/contracts-ccip/contracts/tokenAdminRegistry/RegistryModuleOwnerCustom.sol";
import {
    TokenAdminRegistry
} from "@chainlink/contracts-ccip/contracts/tokenAdminRegistry/TokenAdminRegistry.sol";
import {Test, Vm} from "forge-std/Test.sol";

/// Both ends of the local lane in one EVM: two tokens, registries, routers, ramps and real
/// BurnMintTokenPools, told apart by their chain selectors.
abstract contract LaneFixture is Test {
    struct Side {
        uint64 selector;
        VigilToken token;
        TokenAdminRegistry registry;
        RegistryModuleOwnerCustom module;
        LocalRMN rmn;
        LaneRouter router;
        LaneOnRamp onRamp;
        LaneOffRamp offRamp;
        BurnMintTokenPool pool;
    }

    uint64 internal constant SELECTOR_A = 1111;
    uint64 internal constant SELECTOR_B = 2222;
    uint128 internal constant CAPACITY = 1_000e18;
    uint128 internal constant RATE = 10e18;

    address internal relayer = makeAddr("relayer");
    Side internal a;
    Side internal b;

    function setUp() public virtual {
        _deployLane(new VigilToken(address(this), 0), address(this));
    }

    /// Deploys both ends; chain A uses `tokenA` (whose CCIP admin is `tokenAdmin`), chain B a new token.
    function _deployLane(VigilToken tokenA, address tokenAdmin) internal {
        a = _deploySide(SELECTOR_A, SELECTOR_B, tokenA, tokenAdmin);
        b = _deploySide(SELECTOR_B, SELECTOR_A, new VigilToken(address(this), 0), address(this));
        _connect(a, b);
        _connect(b, a);
    }

    function _deploySide(uint64 selector, uint64 remote, VigilToken sideToken, address tokenAdmin)
        internal
        returns (Side memory s)
    {
        s.selector = selector;
        s.token = sideToken;
        s.registry = new TokenAdminRegistry();
        s.module = new RegistryModuleOwnerCustom(address(s.registry));
        s.registry.addRegistryModule(address(s.module));
        s.rmn = new LocalRMN();
        s.router = new LaneRouter(s.registry);
        s.onRamp = new LaneOnRamp(selector, address(s.router));
        s.offRamp = new LaneOffRamp(selector, remote, s.registry);
        s.router.setOnRamp(remote, address(s.onRamp));
        s.router.setOffRamp(remote, address(s.offRamp), true);
        s.offRamp.setTransmitter(relayer, true);
        s.pool = new BurnMintTokenPool(
            IBurnMintERC20(address(s.token)), 18, address(0), address(s.rmn), address(s.router)
        );
        // The token's CCIP admin registers it, exactly as on a real chain.
        vm.startPrank(tokenAdmin);
        s.module.registerAdminViaGetCCIPAdmin(address(s.token));
        s.registry.acceptAdminRole(address(s.token));
        s.registry.setPool(address(s.token), address(s.pool));
        s.token.grantMintAndBurnRoles(address(s.pool));
        vm.stopPrank();
    }

    function _connect(Side memory local, Side memory remote) internal {
        bytes[] memory remotePools = new bytes[](1);
        remotePools[0] = abi.encode(address(remote.pool));
        TokenPool.ChainUpdate[] memory updates = new TokenPool.ChainUpdate[](1);
        updates[0] = TokenPool.ChainUpdate({
            remoteChainSelector: remote.selector,
            remotePoolAddresses: remotePools,
            remoteTokenAddress: abi.encode(address(remote.token)),
            outboundRateLimiterConfig: RateLimiter.Config({isEnabled: true, capacity: CAPACITY, rate: RATE}),
            // Inbound a little above outbound, as Chainlink advises, so batched deliveries fit.
            inboundRateLimiterConfig: RateLimiter.Config({
                isEnabled: true, capacity: CAPACITY * 11 / 10, rate: RATE * 11 / 10
            })
        });
        local.pool.applyChainUpdates(new uint64[](0), updates);
    }

    /// The messages the on-ramp emitted since `vm.recordLogs()`.
    function _sentMessages() internal returns (LaneMessage.Message[] memory messages) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 count;
        for (uint256 i = 0; i < logs.length; ++i) {
            if (logs[i].topics[0] == LaneOnRamp.CCIPMessageSent.selector) ++count;
        }
        messages = new LaneMessage.Message[](count);
        uint256 j;
        for (uint256 i = 0; i < logs.length; ++i) {
            if (logs[i].topics[0] == LaneOnRamp.CCIPMessageSent.selector) {
                messages[j++] = abi.decode(logs[i].data, (LaneMessage.Message));
            }
        }
    }
}
