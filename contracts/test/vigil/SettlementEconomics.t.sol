// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IVigilSettlement} from "../../src/interfaces/IVigilSettlement.sol";
import {VigilFixture} from "./VigilFixture.sol";
import {Ownable} from "@openzeppelin/contracts@5.3.0/access/Ownable.sol";
import {Pausable} from "@openzeppelin/contracts@5.3.0/utils/Pausable.sol";
import {Vm} from "forge-std/Vm.sol";

/// Fees and burn, operator pay, the transmitter's gas and the emission schedule (docs/contracts.md, "Economics").
contract SettlementEconomicsTest is VigilFixture {
    uint128 internal constant FEE = 1e18;
    uint16 internal constant BURN_BPS = 2_000;
    uint16 internal constant OPERATOR_BPS = 5_000;

    address internal transmitter = makeAddr("transmitter");
    bytes internal context = abi.encodePacked(bytes32(uint256(0xd1)), bytes32(uint256(0xe1)), bytes32(0));
    /// Four registered, active oracle signers, ascending by address.
    address[] internal observers;

    function setUp() public override {
        super.setUp();
        address[] memory o = new address[](4);
        for (uint256 i = 0; i < 4; ++i) {
            o[i] = makeAddr(string.concat("observer-", vm.toString(i)));
        }
        // Insertion sort: the report lists observers ascending.
        for (uint256 i = 1; i < 4; ++i) {
            for (uint256 j = i; j > 0 && o[j] < o[j - 1]; --j) {
                (o[j], o[j - 1]) = (o[j - 1], o[j]);
            }
        }
        for (uint256 i = 0; i < 4; ++i) {
            observers.push(o[i]);
            _registerOperator(o[i], o[i], MIN_OPERATOR_STAKE);
        }
        _registerOperator(transmitter, transmitter, MIN_OPERATOR_STAKE);
        // The reports list 2 qualified devices; the fee counts at most the devices the network registered.
        _registerDevice(keccak256("economics-device-0"), alice);
        _registerDevice(keccak256("economics-device-1"), alice);
        // What the deploy script does: the settlement may burn its own VGL.
        bytes32 burnerRole = token.BURNER_ROLE();
        vm.prank(admin);
        token.grantRole(burnerRole, address(settlement));
    }

    // ----- helpers -----

    function _setFees(uint128 fee, uint16 burnBps, uint16 operatorBps) internal {
        vm.prank(admin);
        settlement.setFees(fee, burnBps, operatorBps);
    }

    function _refs(address[] memory who)
        internal
        pure
        returns (IVigilSettlement.ObservationRef[] memory refs)
    {
        refs = new IVigilSettlement.ObservationRef[](who.length);
        for (uint256 i = 0; i < who.length; ++i) {
            refs[i] = IVigilSettlement.ObservationRef(who[i], keccak256(abi.encode("obs", who[i])));
        }
    }

    /// A certified 2-device result listing the four registered observers.
    function _certified(uint64 epoch, uint256 reward)
        internal
        view
        returns (IVigilSettlement.EpochSettlement memory s)
    {
        s = _settlement(epoch, keccak256(abi.encode("root", epoch)), reward);
        s.observations = _refs(observers);
        s.observationsCommitment = _observationsCommitment(s.observations);
    }

    function _settleCertified(uint64 epoch, uint256 reward) internal {
        _warpPastEpoch(epoch);
        _deliver(SETTLE_NAME, _settleBody(_certified(epoch, reward)));
    }

    /// Through the real forwarder, sent by `transmitter` (also `tx.origin`). Returns the gas the call used.
    function _transmit(uint64 epoch, IVigilSettlement.EpochSettlement memory s)
        internal
        returns (uint256 used, uint256 calldataGas)
    {
        bytes memory raw = _rawReport(bytes32(uint256(epoch) + 1), SETTLE_NAME, workflowOwner, _settleBody(s));
        bytes[] memory sigs = _signAll(_firstKeys(F + 1), raw, context);
        bytes memory data = abi.encodeCall(forwarder.report, (address(settlement), raw, context, sigs));
        for (uint256 i = 0; i < data.length; ++i) {
            calldataGas += data[i] == 0 ? 4 : 16;
        }
        vm.prank(transmitter, transmitter);
        uint256 before = gasleft();
        forwarder.report(address(settlement), raw, context, sigs);
        used = before - gasleft();
    }

    function _totalEarnings() internal view returns (uint256 sum) {
        sum = settlement.operatorEarnings(transmitter);
        for (uint256 i = 0; i < observers.length; ++i) {
            sum += settlement.operatorEarnings(observers[i]);
        }
    }

    // ================================================================
    // Fees
    // ================================================================

    function test_FeeIsZeroByDefault() public {
        uint256 budget = settlement.budgetOf(networkId);
        _settleCertified(0, 100e18);
        assertEq(settlement.feePerDeviceEpoch(), 0);
        assertEq(settlement.budgetOf(networkId), budget - 100e18);
        assertEq(settlement.treasuryAccrued(), 0);
        assertEq(_totalEarnings(), 0);
    }

    function test_FeeSplitBurnsOperatorsAndTreasury() public {
        _setFees(FEE, BURN_BPS, OPERATOR_BPS);
        uint256 budget = settlement.budgetOf(networkId);
        uint256 supply = token.totalSupply();
        uint256 held = token.balanceOf(address(settlement));
        // 2 devices: fee 2e18; 20% burned, 50% to operators (4 observers, no reimbursement), 30% treasury.
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.FeeCharged(networkId, 0, 2e18, 0.4e18, 1e18, 0.6e18, 0);
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.OperatorsPaid(networkId, 0, address(0), 0, 0.25e18, 4);
        _settleCertified(0, 100e18);

        assertEq(settlement.budgetOf(networkId), budget - 100e18 - 2e18);
        assertEq(token.totalSupply(), supply - 0.4e18);
        assertEq(token.balanceOf(address(settlement)), held - 0.4e18);
        assertEq(settlement.treasuryAccrued(), 0.6e18);
        for (uint256 i = 0; i < observers.length; ++i) {
            assertEq(settlement.operatorEarnings(observers[i]), 0.25e18);
        }
    }

    function test_FeeCappedByBudgetRecordsShortfall() public {
        _setFees(FEE, BURN_BPS, OPERATOR_BPS);
        // Leave the reward (100e18), one epoch's budget for the next reward, and 0.5e18: the rewards come first,
        // the fee gets what remains beyond them.
        uint256 budget = settlement.budgetOf(networkId);
        vm.prank(networkOwner);
        settlement.withdrawBudget(networkId, budget - 100e18 - BUDGET_PER_EPOCH - 0.5e18, networkOwner);
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.FeeCharged(networkId, 0, 0.5e18, 0.1e18, 0.25e18, 0.15e18, 1.5e18);
        _settleCertified(0, 100e18);
        assertEq(settlement.budgetOf(networkId), BUDGET_PER_EPOCH);
        assertEq(settlement.nextEpoch(networkId), 1);
    }

    function test_FeeNeverTakesTheNextEpochsReward() public {
        _setFees(FEE, BURN_BPS, OPERATOR_BPS);
        // After the reward the budget holds less than one epoch's budget: no fee, the next reward is safe.
        uint256 budget = settlement.budgetOf(networkId);
        vm.prank(networkOwner);
        settlement.withdrawBudget(networkId, budget - 100e18 - 999e18, networkOwner);
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.FeeCharged(networkId, 0, 0, 0, 0, 0, 2e18);
        _settleCertified(0, 100e18);
        assertEq(settlement.budgetOf(networkId), 999e18);
    }

    function test_FeeCountsQualifiedDevicesOnly() public {
        _setFees(FEE, BURN_BPS, OPERATOR_BPS);
        // 2 devices listed, 1 qualified (did verified work): the fee is 1e18, not 2e18.
        IVigilSettlement.EpochSettlement memory s = _certified(0, 100e18);
        s.qualifiedCount = 1;
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.FeeCharged(networkId, 0, 1e18, 0.2e18, 0.5e18, 0.3e18, 0);
        _warpPastEpoch(0);
        _deliver(SETTLE_NAME, _settleBody(s));
    }

    function test_FeeBasisCappedByRegisteredDevices() public {
        _setFees(FEE, BURN_BPS, OPERATOR_BPS);
        // A quorum claiming 2^32 - 1 devices cannot turn the budget into fees: the network registered 2.
        IVigilSettlement.EpochSettlement memory s = _certified(0, 100e18);
        s.deviceCount = type(uint32).max;
        s.qualifiedCount = type(uint32).max;
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.FeeCharged(networkId, 0, 2e18, 0.4e18, 1e18, 0.6e18, 0);
        _warpPastEpoch(0);
        _deliver(SETTLE_NAME, _settleBody(s));
    }

    function test_BurnShareGoesToTreasuryWhenTheBurnerRoleWasRevoked() public {
        _setFees(FEE, BURN_BPS, OPERATOR_BPS);
        bytes32 burnerRole = token.BURNER_ROLE();
        vm.prank(admin);
        token.revokeRole(burnerRole, address(settlement));
        uint256 supply = token.totalSupply();
        // Settles (no revert, no stall): 0 burned, the burn share (0.4e18) joins the treasury's 0.6e18.
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.FeeCharged(networkId, 0, 2e18, 0, 1e18, 1e18, 0);
        _settleCertified(0, 100e18);
        assertEq(settlement.nextEpoch(networkId), 1);
        assertEq(token.totalSupply(), supply);
        assertEq(settlement.treasuryAccrued(), 1e18);
    }

    function test_EmptyBudgetStillSettlesWithTheWholeFeeShort() public {
        _setFees(FEE, BURN_BPS, OPERATOR_BPS);
        uint256 budget = settlement.budgetOf(networkId);
        vm.prank(networkOwner);
        settlement.withdrawBudget(networkId, budget, networkOwner);
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.FeeCharged(networkId, 0, 0, 0, 0, 0, 2e18);
        _settleCertified(0, 0);
        assertEq(settlement.nextEpoch(networkId), 1);
        assertEq(settlement.treasuryAccrued(), 0);
    }

    function test_NoFeeOnTimeout() public {
        _setFees(FEE, BURN_BPS, OPERATOR_BPS);
        uint256 genesis = registry.getNetwork(networkId).genesisTime;
        vm.warp(genesis + (1 + uint256(settlement.SETTLEMENT_TIMEOUT_EPOCHS())) * EPOCH_LENGTH);
        IVigilSettlement.EpochSettlement memory s = _settlement(0, bytes32(0), 0);
        s.observationsCommitment = bytes32(0);
        s.deviceCount = 0;
        uint256 budget = settlement.budgetOf(networkId);
        uint256 supply = token.totalSupply();
        vm.recordLogs();
        _deliver(SETTLE_NAME, _settleBody(s));
        _assertNoFeeEvent(vm.getRecordedLogs());
        assertEq(settlement.nextEpoch(networkId), 1);
        assertEq(settlement.budgetOf(networkId), budget);
        assertEq(token.totalSupply(), supply);
        assertEq(settlement.treasuryAccrued(), 0);
    }

    function test_NoFeeOnFraudSlash() public {
        _setFees(FEE, BURN_BPS, OPERATOR_BPS);
        bytes32 device = keccak256("device-x");
        _registerDevice(device, alice);
        uint256 budget = settlement.budgetOf(networkId);
        vm.recordLogs();
        _deliver(
            SLASH_NAME,
            _slashBody(0, IVigilSettlement.DeviceSlash(device, 1e18, 3, keccak256("ev")), networkId)
        );
        _assertNoFeeEvent(vm.getRecordedLogs());
        assertEq(settlement.budgetOf(networkId), budget + 1e18);
        assertEq(settlement.treasuryAccrued(), 0);
    }

    function _assertNoFeeEvent(Vm.Log[] memory logs) internal view {
        for (uint256 i = 0; i < logs.length; ++i) {
            if (logs[i].emitter != address(settlement)) continue;
            assertTrue(logs[i].topics[0] != IVigilSettlement.FeeCharged.selector, "FeeCharged emitted");
            assertTrue(logs[i].topics[0] != IVigilSettlement.OperatorsPaid.selector, "OperatorsPaid emitted");
        }
    }

    function test_RevertIf_SetFeesSplitAbove10000() public {
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.InvalidFeeSplit.selector, 5_001, 5_000));
        vm.prank(admin);
        settlement.setFees(FEE, 5_001, 5_000);
    }

    function test_RevertIf_SetFeesBurnsWithoutBurnerRole() public {
        bytes32 burnerRole = token.BURNER_ROLE();
        vm.prank(admin);
        token.revokeRole(burnerRole, address(settlement));
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.CannotBurn.selector, address(token)));
        vm.prank(admin);
        settlement.setFees(FEE, 1, 0);
        // Without a burn share, no role is needed.
        _setFees(FEE, 0, OPERATOR_BPS);
        assertEq(settlement.feeOperatorBps(), OPERATOR_BPS);
    }

    function test_SetFeesEmits() public {
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.FeesSet(FEE, BURN_BPS, OPERATOR_BPS);
        _setFees(FEE, BURN_BPS, OPERATOR_BPS);
        assertEq(settlement.feePerDeviceEpoch(), FEE);
        assertEq(settlement.feeBurnBps(), BURN_BPS);
        assertEq(settlement.feeOperatorBps(), OPERATOR_BPS);
    }

    function test_RevertIf_SetFeesNotOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        vm.prank(alice);
        settlement.setFees(FEE, 0, 0);
    }

    function test_RevertIf_SetGasReimbursementNotOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        vm.prank(alice);
        settlement.setGasReimbursement(1e18, 1 gwei);
    }

    function testFuzz_FeeIsConserved(uint128 fee, uint16 burnBps, uint16 operatorBps, uint128 budgetLeft)
        public
    {
        burnBps = uint16(bound(burnBps, 0, 10_000));
        operatorBps = uint16(bound(operatorBps, 0, 10_000 - burnBps));
        fee = uint128(bound(fee, 1, 1e30));
        budgetLeft = uint128(bound(budgetLeft, 0, 10_000e18 - 1));
        _setFees(fee, burnBps, operatorBps);
        vm.prank(networkOwner);
        settlement.withdrawBudget(networkId, 10_000e18 - uint256(budgetLeft), networkOwner);
        uint256 supply = token.totalSupply();
        uint256 held = token.balanceOf(address(settlement));
        _settleCertified(0, 0);
        uint256 charged = budgetLeft - settlement.budgetOf(networkId);
        uint256 burned = supply - token.totalSupply();
        // Beyond one epoch's budget (kept for the next reward), at most the fee for the 2 qualified devices.
        uint256 available = budgetLeft > BUDGET_PER_EPOCH ? budgetLeft - BUDGET_PER_EPOCH : 0;
        assertEq(charged, uint256(fee) * 2 < available ? uint256(fee) * 2 : available);
        assertEq(burned, charged * burnBps / 10_000);
        assertEq(charged, burned + _totalEarnings() + settlement.treasuryAccrued());
        assertEq(token.balanceOf(address(settlement)), held - burned);
    }

    // ================================================================
    // Observations
    // ================================================================

    function test_ObservationsCommitmentMatchesTheNodes() public pure {
        // The same vector as test/settlement/observationsCommitment.test.ts (the nodes' `observationsCommitment`,
        // which lowercases and sorts observers itself).
        IVigilSettlement.ObservationRef[] memory refs = new IVigilSettlement.ObservationRef[](3);
        refs[0] = IVigilSettlement.ObservationRef(
            0x0a00000000000000000000000000000000000001, keccak256("observation-1")
        );
        refs[1] = IVigilSettlement.ObservationRef(
            0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf, keccak256("observation-3")
        );
        refs[2] = IVigilSettlement.ObservationRef(
            0xf00000000000000000000000000000000000000f, keccak256("observation-2")
        );
        assertEq(
            _observationsCommitment(refs), 0xe42dfcfb14210176dd37e124e5a280cb441d20381bc54a4b22dff7cc81e8032c
        );
    }

    function test_SettlesWithTheObservationVector() public {
        IVigilSettlement.EpochSettlement memory s = _settlement(0, keccak256("root"), 1);
        s.observations = new IVigilSettlement.ObservationRef[](3);
        s.observations[0] = IVigilSettlement.ObservationRef(
            0x0a00000000000000000000000000000000000001, keccak256("observation-1")
        );
        s.observations[1] = IVigilSettlement.ObservationRef(
            0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf, keccak256("observation-3")
        );
        s.observations[2] = IVigilSettlement.ObservationRef(
            0xf00000000000000000000000000000000000000f, keccak256("observation-2")
        );
        s.observationsCommitment = 0xe42dfcfb14210176dd37e124e5a280cb441d20381bc54a4b22dff7cc81e8032c;
        _warpPastEpoch(0);
        _deliver(SETTLE_NAME, _settleBody(s));
        assertEq(settlement.epochResult(networkId, 0).observationsCommitment, s.observationsCommitment);
    }

    function test_RevertIf_ObservationsMismatch() public {
        IVigilSettlement.EpochSettlement memory s = _certified(0, 1);
        bytes32 committed = s.observationsCommitment;
        s.observations[2].hash = keccak256("another observation");
        bytes32 computed = _observationsCommitment(s.observations);
        _warpPastEpoch(0);
        vm.expectRevert(
            abi.encodeWithSelector(IVigilSettlement.ObservationsMismatch.selector, committed, computed)
        );
        _deliver(SETTLE_NAME, _settleBody(s));
    }

    function test_RevertIf_ObservationsUnsorted() public {
        IVigilSettlement.EpochSettlement memory s = _certified(0, 1);
        (s.observations[1], s.observations[2]) = (s.observations[2], s.observations[1]);
        s.observationsCommitment = _observationsCommitment(s.observations);
        _warpPastEpoch(0);
        vm.expectRevert(
            abi.encodeWithSelector(
                IVigilSettlement.ObservationsNotAscending.selector, 2, s.observations[2].observer
            )
        );
        _deliver(SETTLE_NAME, _settleBody(s));
    }

    function test_RevertIf_ObservationsDuplicate() public {
        IVigilSettlement.EpochSettlement memory s = _certified(0, 1);
        s.observations[3] = s.observations[2];
        s.observationsCommitment = _observationsCommitment(s.observations);
        _warpPastEpoch(0);
        vm.expectRevert(
            abi.encodeWithSelector(
                IVigilSettlement.ObservationsNotAscending.selector, 3, s.observations[3].observer
            )
        );
        _deliver(SETTLE_NAME, _settleBody(s));
    }

    function test_RevertIf_TimeoutCarriesObservations() public {
        uint256 genesis = registry.getNetwork(networkId).genesisTime;
        vm.warp(genesis + (1 + uint256(settlement.SETTLEMENT_TIMEOUT_EPOCHS())) * EPOCH_LENGTH);
        IVigilSettlement.EpochSettlement memory s = _settlement(0, bytes32(0), 0);
        s.observationsCommitment = bytes32(0);
        s.deviceCount = 0;
        s.observations = _refs(observers);
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.TimeoutNotEmpty.selector, networkId, 0));
        _deliver(SETTLE_NAME, _settleBody(s));
    }

    // ================================================================
    // Operator pay
    // ================================================================

    function test_InactiveObserverShareGoesToTreasury() public {
        _setFees(FEE, 0, 10_000);
        vm.prank(observers[1]);
        registry.requestOperatorExit(observers[1]);
        // 2e18 to operators, 3 active observers: 666666666666666666 each, the remainder and the exited
        // observer's share to the treasury.
        uint256 each = uint256(2e18) / 3;
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.OperatorsPaid(networkId, 0, address(0), 0, each, 3);
        _settleCertified(0, 0);
        assertEq(settlement.operatorEarnings(observers[1]), 0);
        assertEq(settlement.operatorEarnings(observers[0]), each);
        assertEq(settlement.treasuryAccrued(), 2e18 - 3 * each);
    }

    function test_NoActiveObserverSendsTheOperatorShareToTreasury() public {
        _setFees(FEE, 0, 10_000);
        // The fixture's default observers are not registered.
        _warpPastEpoch(0);
        _deliver(SETTLE_NAME, _settleBody(_settlement(0, keccak256("root"), 0)));
        assertEq(settlement.treasuryAccrued(), 2e18);
    }

    function test_TransmitterReimbursedAtTheCappedGasPrice() public {
        _setFees(FEE, 0, 10_000);
        // 1 VGL wei per gas at the cap of 1 wei: the reimbursement is the gas counted, whatever the real price.
        vm.prank(admin);
        settlement.setGasReimbursement(1e18, 1);
        vm.txGasPrice(50 gwei);
        _warpPastEpoch(0);
        vm.recordLogs();
        _transmit(0, _certified(0, 100e18));
        (uint256 reimbursement, uint256 perObserver) = _operatorsPaid(vm.getRecordedLogs());
        assertGt(reimbursement, 100_000);
        assertLt(reimbursement, 1_000_000);
        assertEq(settlement.operatorEarnings(transmitter), reimbursement);
        assertEq(perObserver, (2e18 - reimbursement) / 4);
    }

    function test_TransmitterReimbursedAtMostTheBaseFeePlusATip() public {
        _setFees(FEE, 0, 10_000);
        // 1 VGL wei per wei of gas cost, cap 100 gwei: a transmitter bidding 50 gwei over a 10 gwei base fee is
        // reimbursed at 12 gwei (base fee + 2 gwei), the same gas reimbursed at 1 wei a gas otherwise.
        vm.prank(admin);
        settlement.setGasReimbursement(1e18, 100 gwei);
        vm.fee(10 gwei);
        vm.txGasPrice(50 gwei);
        _warpPastEpoch(0);
        vm.recordLogs();
        _transmit(0, _certified(0, 100e18));
        (uint256 reimbursement,) = _operatorsPaid(vm.getRecordedLogs());
        assertEq(reimbursement % 12 gwei, 0, "priced at 12 gwei a gas");
        assertGt(reimbursement / 12 gwei, 100_000);
        assertLt(reimbursement / 12 gwei, 1_000_000);
    }

    function test_TransmitterReimbursementCappedByOperatorShare() public {
        _setFees(FEE, 0, 1);
        // 2e18 * 1 bps = 2e14 to operators; the gas at 1 gwei and 1e24 VGL per ETH is far more.
        vm.prank(admin);
        settlement.setGasReimbursement(1e24, 1 gwei);
        vm.txGasPrice(1 gwei);
        _warpPastEpoch(0);
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.OperatorsPaid(networkId, 0, transmitter, 2e14, 0, 4);
        _transmit(0, _certified(0, 100e18));
        assertEq(settlement.operatorEarnings(transmitter), 2e14);
        assertEq(settlement.operatorEarnings(observers[0]), 0);
    }

    function test_NoReimbursementForATransmitterThatIsNotASigner() public {
        _setFees(FEE, 0, 10_000);
        vm.prank(admin);
        settlement.setGasReimbursement(1e18, 1 gwei);
        vm.txGasPrice(1 gwei);
        _warpPastEpoch(0);
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.OperatorsPaid(networkId, 0, address(0), 0, 0.5e18, 4);
        // The fixture's delivery: tx.origin is forge's default sender, not a registered signer.
        _deliver(SETTLE_NAME, _settleBody(_certified(0, 100e18)));
    }

    /// Calibrates `TRANSMIT_GAS_OVERHEAD`: the gas reimbursed for a settlement (2 devices, 4 observations, fee with
    /// burn) through the real forwarder against what the transmitter pays: the call measured here plus the 21,000
    /// intrinsic gas and the calldata. Steady state: the credited balances are already non-zero (the first credit
    /// of each account, ~20k more per fresh slot, is not reimbursed).
    function test_ReimbursementMatchesTransmitterGas() public {
        _setFees(FEE, BURN_BPS, OPERATOR_BPS);
        vm.prank(admin);
        settlement.setGasReimbursement(1e18, 1);
        vm.txGasPrice(1);
        _warpPastEpoch(2);
        _transmit(0, _certified(0, 100e18));
        _transmit(1, _certified(1, 100e18));
        vm.recordLogs();
        (uint256 used, uint256 calldataGas) = _transmit(2, _certified(2, 100e18));
        (uint256 reimbursement,) = _operatorsPaid(vm.getRecordedLogs());
        uint256 paid = used + 21_000 + calldataGas;
        emit log_named_uint("transmitter's gas (call + intrinsic + calldata)", paid);
        emit log_named_uint("calldata gas", calldataGas);
        emit log_named_uint("reimbursed gas", reimbursement);
        assertApproxEqRel(reimbursement, paid, 0.1e18);
    }

    function _operatorsPaid(Vm.Log[] memory logs)
        internal
        view
        returns (uint256 reimbursement, uint256 perObserver)
    {
        for (uint256 i = 0; i < logs.length; ++i) {
            if (
                logs[i].emitter == address(settlement)
                    && logs[i].topics[0] == IVigilSettlement.OperatorsPaid.selector
            ) {
                (reimbursement, perObserver,) = abi.decode(logs[i].data, (uint256, uint256, uint256));
                return (reimbursement, perObserver);
            }
        }
        assertTrue(false, "no OperatorsPaid event");
    }

    function test_WithdrawOperatorEarnings() public {
        _setFees(FEE, BURN_BPS, OPERATOR_BPS);
        _settleCertified(0, 100e18);
        address observer = observers[0];
        uint256 earned = settlement.operatorEarnings(observer);
        assertEq(earned, 0.25e18);
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.OperatorEarningsWithdrawn(observer, bob, earned);
        vm.prank(observer);
        settlement.withdrawOperatorEarnings(bob);
        assertEq(token.balanceOf(bob), earned);
        assertEq(settlement.operatorEarnings(observer), 0);
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.NoOperatorEarnings.selector, observer));
        vm.prank(observer);
        settlement.withdrawOperatorEarnings(bob);
    }

    /// Settles epoch 0 with `cheat` listed among the four observers (ascending).
    function _settleWithObserver(address cheat) internal {
        address[] memory list = new address[](5);
        for (uint256 i = 0; i < 4; ++i) {
            list[i] = observers[i];
        }
        list[4] = cheat;
        for (uint256 i = 4; i > 0 && list[i] < list[i - 1]; --i) {
            (list[i], list[i - 1]) = (list[i - 1], list[i]);
        }
        IVigilSettlement.EpochSettlement memory s = _settlement(0, keccak256("root"), 100e18);
        s.observations = _refs(list);
        s.observationsCommitment = _observationsCommitment(s.observations);
        _warpPastEpoch(0);
        _deliver(SETTLE_NAME, _settleBody(s));
    }

    function _signVote(uint256 key, IVigilSettlement.ResultVote memory vote)
        internal
        view
        returns (bytes memory)
    {
        (uint8 v, bytes32 r, bytes32 sig) = vm.sign(key, settlement.resultVoteDigest(vote));
        return abi.encodePacked(r, sig, v);
    }

    /// Commits as `reporter`, mines a block and reveals two conflicting votes of epoch 1 signed by `key`,
    /// expecting `signer`'s `forfeited` earnings to go to the treasury.
    function _proveEquivocation(address reporter, uint256 key, address signer, uint256 forfeited) internal {
        IVigilSettlement.ResultVote memory a =
            IVigilSettlement.ResultVote(networkId, 1, bytes32(uint256(1)), bytes32(0));
        IVigilSettlement.ResultVote memory b =
            IVigilSettlement.ResultVote(networkId, 1, bytes32(uint256(2)), bytes32(0));
        bytes memory sigA = _signVote(key, a);
        bytes memory sigB = _signVote(key, b);
        bytes32 commitment = settlement.equivocationCommitment(reporter, sigA, sigB, keccak256("salt"));
        vm.prank(reporter);
        settlement.commitEquivocation(commitment);
        vm.roll(block.number + 1);
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.OperatorEarningsForfeited(signer, forfeited);
        vm.prank(reporter);
        settlement.slashEquivocation(a, sigA, b, sigB, keccak256("salt"));
    }

    function test_EquivocatorForfeitsItsUnwithdrawnEarnings() public {
        _setFees(FEE, BURN_BPS, OPERATOR_BPS);
        (address cheat, uint256 key) = makeAddrAndKey("equivocating-observer");
        _registerOperator(cheat, cheat, MIN_OPERATOR_STAKE);
        _settleWithObserver(cheat);
        uint256 earned = settlement.operatorEarnings(cheat);
        assertGt(earned, 0, "the cheat earned a share");
        uint256 accrued = settlement.treasuryAccrued();

        _proveEquivocation(bob, key, cheat, earned);

        assertEq(settlement.operatorEarnings(cheat), 0);
        assertEq(settlement.treasuryAccrued(), accrued + earned);
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.NoOperatorEarnings.selector, cheat));
        vm.prank(cheat);
        settlement.withdrawOperatorEarnings(cheat);
    }

    function test_RevertIf_WithdrawOperatorEarningsToZeroAddress() public {
        vm.expectRevert(IVigilSettlement.ZeroAddress.selector);
        vm.prank(observers[0]);
        settlement.withdrawOperatorEarnings(address(0));
    }

    function test_RevertIf_WithdrawOperatorEarningsWhilePaused() public {
        _setFees(FEE, 0, OPERATOR_BPS);
        _settleCertified(0, 100e18);
        vm.prank(admin);
        settlement.pause();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(observers[0]);
        settlement.withdrawOperatorEarnings(bob);
    }

    function test_SweepTreasuryByAnyone() public {
        _setFees(FEE, BURN_BPS, OPERATOR_BPS);
        _settleCertified(0, 100e18);
        uint256 accrued = settlement.treasuryAccrued();
        uint256 before = token.balanceOf(treasury);
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.TreasurySwept(treasury, accrued);
        vm.prank(bob);
        settlement.sweepTreasury();
        assertEq(token.balanceOf(treasury), before + accrued);
        assertEq(settlement.treasuryAccrued(), 0);
        vm.expectRevert(IVigilSettlement.ZeroAmount.selector);
        settlement.sweepTreasury();
    }

    // ================================================================
    // Emission schedule
    // ================================================================

    function test_EpochEmissionIsFlatByDefault() public view {
        assertEq(settlement.emissionHalving(networkId), 0);
        assertEq(settlement.epochEmission(networkId, 0), BUDGET_PER_EPOCH);
        assertEq(settlement.epochEmission(networkId, type(uint64).max), BUDGET_PER_EPOCH);
    }

    function test_EpochEmissionHalves() public {
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.EmissionHalvingSet(networkId, 10);
        vm.prank(networkOwner);
        settlement.setEmissionHalving(networkId, 10);
        assertEq(settlement.emissionHalving(networkId), 10);
        assertEq(settlement.epochEmission(networkId, 9), BUDGET_PER_EPOCH);
        assertEq(settlement.epochEmission(networkId, 10), BUDGET_PER_EPOCH / 2);
        assertEq(settlement.epochEmission(networkId, 25), BUDGET_PER_EPOCH / 4);
        assertEq(settlement.epochEmission(networkId, 10 * 256), 0);
        assertEq(settlement.epochEmission(networkId, type(uint64).max), 0);
    }

    function testFuzz_EpochEmission(uint32 halvingEpochs, uint64 epoch) public {
        halvingEpochs = uint32(bound(halvingEpochs, 1, type(uint32).max));
        vm.prank(networkOwner);
        settlement.setEmissionHalving(networkId, halvingEpochs);
        uint256 halvings = epoch / halvingEpochs;
        uint256 expected = BUDGET_PER_EPOCH;
        // Halve one step at a time (at most 128 steps take a uint128 to zero).
        for (uint256 i = 0; i < halvings && expected != 0; ++i) {
            expected /= 2;
        }
        assertEq(settlement.epochEmission(networkId, epoch), expected);
        assertLe(settlement.epochEmission(networkId, epoch), BUDGET_PER_EPOCH);
    }

    function test_RevertIf_SetEmissionHalvingNotNetworkOwner() public {
        // Not even the contract's owner (governance): the schedule is the network's own.
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.NotNetworkOwner.selector, networkId, admin));
        vm.prank(admin);
        settlement.setEmissionHalving(networkId, 10);
    }

    function test_RevertIf_SetEmissionHalvingUnknownNetwork() public {
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.UnknownNetwork.selector, 99));
        vm.prank(networkOwner);
        settlement.setEmissionHalving(99, 10);
    }

    /// The contract bounds a reward by `rewardBudgetPerEpoch`, not by the current emission: a halving set after an
    /// epoch's end must not make its agreed result (computed from the emission pinned at the end) revert.
    function test_HalvingSetAfterTheEpochEndsDoesNotStallItsSettlement() public {
        _warpPastEpoch(0);
        vm.prank(networkOwner);
        settlement.setEmissionHalving(networkId, 1);
        _deliver(SETTLE_NAME, _settleBody(_settlement(0, keccak256("root"), BUDGET_PER_EPOCH)));
        assertEq(settlement.nextEpoch(networkId), 1);
    }

    // ================================================================
    // Uptime SLA
    // ================================================================

    function _sla(uint32 window, uint16 bonusAt, uint16 bonus, uint16 penaltyBelow, uint16 penalty)
        internal
        pure
        returns (IVigilSettlement.UptimeSla memory)
    {
        return IVigilSettlement.UptimeSla(window, bonusAt, bonus, penaltyBelow, penalty);
    }

    function test_UptimeSlaIsOffByDefault() public view {
        IVigilSettlement.UptimeSla memory sla = settlement.uptimeSla(networkId);
        assertEq(sla.windowEpochs, 0);
        assertEq(sla.bonusBps, 0);
        assertEq(sla.penaltyBps, 0);
    }

    function test_SetUptimeSla() public {
        IVigilSettlement.UptimeSla memory sla = _sla(720, 9990, 1000, 9500, 5000);
        vm.expectEmit(address(settlement));
        emit IVigilSettlement.UptimeSlaSet(networkId, sla);
        vm.prank(networkOwner);
        settlement.setUptimeSla(networkId, sla);
        IVigilSettlement.UptimeSla memory read = settlement.uptimeSla(networkId);
        assertEq(read.windowEpochs, 720);
        assertEq(read.bonusThresholdBps, 9990);
        assertEq(read.bonusBps, 1000);
        assertEq(read.penaltyThresholdBps, 9500);
        assertEq(read.penaltyBps, 5000);
        // And off again.
        vm.prank(networkOwner);
        settlement.setUptimeSla(networkId, _sla(0, 0, 0, 0, 0));
        assertEq(settlement.uptimeSla(networkId).windowEpochs, 0);
    }

    function test_RevertIf_SetUptimeSlaNotNetworkOwner() public {
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.NotNetworkOwner.selector, networkId, admin));
        vm.prank(admin);
        settlement.setUptimeSla(networkId, _sla(720, 9990, 1000, 9500, 5000));
    }

    function test_RevertIf_SetUptimeSlaUnknownNetwork() public {
        vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.UnknownNetwork.selector, 99));
        vm.prank(networkOwner);
        settlement.setUptimeSla(99, _sla(720, 9990, 1000, 9500, 5000));
    }

    function test_RevertIf_SetUptimeSlaOutOfBounds() public {
        IVigilSettlement.UptimeSla[7] memory bad = [
            _sla(1, 9990, 1000, 9500, 5000), // a window of one epoch is no history
            _sla(901, 9990, 1000, 9500, 5000), // too close to what a node's store keeps by default
            _sla(720, 10_001, 1000, 9500, 5000),
            _sla(720, 9990, 10_001, 9500, 5000),
            _sla(720, 9990, 1000, 9500, 10_001),
            _sla(720, 9000, 1000, 9500, 5000), // penalised above the bonus threshold
            _sla(0, 0, 1000, 0, 0) // off, yet a bonus share
        ];
        for (uint256 i = 0; i < bad.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IVigilSettlement.InvalidUptimeSla.selector, networkId));
            vm.prank(networkOwner);
            settlement.setUptimeSla(networkId, bad[i]);
        }
    }

    // ================================================================
    // Gas
    // ================================================================

    /// Gas of three settlements in a row (2 devices, 4 observations) through the forwarder, without fees: the
    /// first (fresh result and ledger slots), then steady state. Compare with the same report before observations.
    function test_GasSettlementWithFourObserversNoFee() public {
        _warpPastEpoch(2);
        for (uint64 e = 0; e < 3; ++e) {
            (uint256 used,) = _transmit(e, _certified(e, 100e18));
            emit log_named_uint(string.concat("forwarder.report, no fee, epoch ", vm.toString(e)), used);
        }
    }

    /// The same with a fee (burn, reimbursement, 4 active observers paid): the first settlement also credits
    /// fresh slots (transmitter, observers, treasury; ~22k each).
    function test_GasSettlementWithFourObserversAndFees() public {
        _setFees(FEE, BURN_BPS, OPERATOR_BPS);
        vm.prank(admin);
        settlement.setGasReimbursement(1e18, 1 gwei);
        vm.txGasPrice(1 gwei);
        _warpPastEpoch(2);
        for (uint64 e = 0; e < 3; ++e) {
            (uint256 used,) = _transmit(e, _certified(e, 100e18));
            emit log_named_uint(string.concat("forwarder.report, fees, epoch ", vm.toString(e)), used);
        }
    }
}
