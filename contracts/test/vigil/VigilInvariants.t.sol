// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {VigilRegistry} from "../../src/VigilRegistry.sol";
import {VigilSettlement} from "../../src/VigilSettlement.sol";
import {IClaimHook} from "../../src/interfaces/IClaimHook.sol";
import {IVigilFeed} from "../../src/interfaces/IVigilFeed.sol";
import {IVigilRegistry} from "../../src/interfaces/IVigilRegistry.sol";
import {IVigilSettlement} from "../../src/interfaces/IVigilSettlement.sol";
import {VigilToken} from "../../src/token/VigilToken.sol";
import {CommutativeTree, VigilFixture} from "./VigilFixture.sol";
import {CommonBase} from "forge-std/Base.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

/// A claim hook as a bridge would be: only the settlement may call it, and the reward must already be in its
/// balance when it is called. It keeps what it receives.
contract InvariantClaimHook is IClaimHook {
    error NotSettlement(address caller);

    address internal immutable i_settlement;
    VigilToken internal immutable i_token;
    /// Total of the amounts the settlement announced to this hook.
    uint256 public received;
    /// Calls in which the announced amount was not (all) in this hook's balance yet.
    uint256 public unfundedCalls;

    constructor(address settlement_, VigilToken token_) {
        i_settlement = settlement_;
        i_token = token_;
    }

    function onVigilClaim(address, uint256 amount, bytes calldata data) external returns (bytes32) {
        if (msg.sender != i_settlement) revert NotSettlement(msg.sender);
        received += amount;
        if (i_token.balanceOf(address(this)) < received) unfundedCalls += 1;
        return keccak256(data);
    }
}

/// Drives the settlement and the registry through everything that moves VGL (settlements with fees and device
/// slashes, fraud reports for any epoch, claims on all three paths, budget deposits and withdrawals, device and
/// operator stakes in and out, equivocation slashes through commit-reveal with a front-runner) and keeps a
/// shadow book of what each contract must hold, which the invariants compare with the chain.
contract SettlementHandler is CommonBase, StdUtils {
    uint256 internal constant LINES = 4;
    uint256 internal constant SLASHABLE = 8;
    uint256 internal constant OPERATORS = 4;
    uint256 internal constant REPORTERS = 3;
    uint256 internal constant MAX_BPS = 10_000;
    /// The account that copies every equivocation reveal ahead of the reporter's: it must never earn anything.
    address public constant COPIER = address(0xC0B1E5);

    VigilSettlement internal immutable settlement;
    VigilRegistry internal immutable registry;
    VigilToken internal immutable token;
    InvariantClaimHook public immutable hook;
    uint64 internal immutable networkId;
    address internal immutable admin;
    address internal immutable networkOwner;
    address internal immutable workflowOwner;
    bytes10 internal immutable settleName;
    bytes10 internal immutable slashName;
    uint32 internal immutable epochLength;

    address[] public owners;
    bytes32[] public devices;
    uint256[] internal s_operatorKeys;
    mapping(uint64 epoch => IVigilFeed.DeviceLine[]) internal s_lines;
    mapping(bytes32 key => uint256) public successfulClaims;

    // ----- the shadow book -----
    uint64 public settledEpochs;
    uint256 public ghostMinted;
    uint256 public ghostBurned;
    /// Budget deposits, the fixture's first one (read from the chain at construction) included.
    uint256 public ghostDeposited;
    uint256 public ghostBudgetWithdrawn;
    uint256 public ghostFunded;
    uint256 public ghostClaimed;
    /// Fees taken out of the budget (burned, credited to operators or accrued for the treasury).
    uint256 public ghostFees;
    uint256 public ghostSlashedToBudget;
    uint256 public ghostEarningsWithdrawn;
    uint256 public ghostTreasurySwept;
    uint256 public ghostStaked;
    uint256 public ghostStakeWithdrawn;
    uint256 public ghostOperatorSlashed;
    uint256 public ghostReporterPaid;
    uint256 public ghostTreasuryFromSlashes;
    /// What each device's stake was at registration (read from the network's parameters then).
    mapping(bytes32 deviceId => uint256) public stakeAtRegistration;
    mapping(bytes32 deviceId => uint256) public deviceWithdrawn;

    // ----- violations the invariants require to stay zero -----
    uint256 public unauthorizedSettles;
    uint256 public overBudgetSettles;
    uint256 public doubleClaims;
    uint256 public freshClaims;
    uint256 public failedFreshClaims;
    uint256 public feeMismatches;
    uint256 public budgetMismatches;
    uint256 public repeatedSlashes;
    uint256 public inadmissibleFraudSlashes;
    uint256 public badEquivocationSplits;
    uint256 public frontRunWins;
    uint256 public missedEquivocations;
    uint256 public badWithdrawals;
    uint256 public nextEvidence;
    uint256 public nextSalt;
    /// Slashes that took stake, per (epoch, device), whichever report kind carried them.
    mapping(bytes32 key => uint256) public appliedSlashes;
    /// Handler calls that did what they were meant to (coverage, checked in `afterInvariant`).
    uint256 public equivocationSlashes;
    uint256 public hookClaims;
    uint256 public exits;
    /// Probation as the handler set it, each device's registration epoch (plus one; 0: not registered) and whether
    /// a slash ever took its stake: the handler's own model of which rewards are escrowed.
    uint32 public probation;
    mapping(bytes32 deviceId => uint64) public registeredEpochPlusOne;
    mapping(bytes32 deviceId => bool) public everSlashed;
    uint256 public escrowBreaches;
    uint256 public escrowedRefusals;

    struct Wiring {
        VigilSettlement settlement;
        VigilRegistry registry;
        VigilToken token;
        uint64 networkId;
        address admin;
        address networkOwner;
        address workflowOwner;
        bytes10 settleName;
        bytes10 slashName;
    }

    constructor(Wiring memory w) {
        settlement = w.settlement;
        registry = w.registry;
        token = w.token;
        networkId = w.networkId;
        admin = w.admin;
        networkOwner = w.networkOwner;
        workflowOwner = w.workflowOwner;
        settleName = w.settleName;
        slashName = w.slashName;
        epochLength = w.registry.getNetwork(w.networkId).epochLength;
        hook = new InvariantClaimHook(address(w.settlement), w.token);
        // The book starts from the chain, not from the fixture's constants.
        ghostMinted = w.token.totalSupply();
        ghostDeposited = w.settlement.budgetOf(w.networkId);
        for (uint256 i = 0; i < LINES; ++i) {
            owners.push(address(uint160(0xA000 + i)));
            // Line 0 is a registrable (and slashable) device, so probation applies to its rewards.
            devices.push(i == 0 ? slashableDevice(0) : keccak256(abi.encode("inv-device", i)));
        }
        for (uint256 i = 0; i < OPERATORS; ++i) {
            s_operatorKeys.push(uint256(keccak256(abi.encode("inv-oracle", i))) % (type(uint128).max - 1) + 1);
        }
    }

    // ================================================================
    // Helpers
    // ================================================================

    function _meta(bytes10 name, address owner) internal pure returns (bytes memory) {
        return abi.encodePacked(bytes32(0), name, owner, bytes2(0));
    }

    function _leaves(uint64 epoch) internal view returns (bytes32[] memory leaves) {
        IVigilFeed.DeviceLine[] storage lines = s_lines[epoch];
        leaves = new bytes32[](lines.length);
        for (uint256 i = 0; i < lines.length; ++i) {
            leaves[i] = keccak256(bytes.concat(keccak256(abi.encode(lines[i]))));
        }
    }

    function _mint(address to, uint256 amount) internal {
        vm.prank(admin);
        token.mint(to, amount);
        ghostMinted += amount;
    }

    /// Records a device slash that took stake from `deviceId` for `epoch`.
    function _recordSlash(uint64 epoch, bytes32 deviceId, uint256 stakeBefore) internal {
        if (registry.getDevice(deviceId).stake == stakeBefore) return;
        everSlashed[deviceId] = true;
        if (++appliedSlashes[keccak256(abi.encode(epoch, deviceId))] > 1) repeatedSlashes += 1;
    }

    function _evidence(bool reuse) internal returns (bytes32 evidence) {
        evidence =
            keccak256(abi.encode("evidence", reuse && nextEvidence > 0 ? nextEvidence - 1 : nextEvidence));
        if (!(reuse && nextEvidence > 0)) nextEvidence += 1;
    }

    function slashableDevice(uint256 i) public pure returns (bytes32) {
        return keccak256(abi.encode("slashable", i));
    }

    function operatorSigner(uint256 i) public view returns (address) {
        return vm.addr(s_operatorKeys[i]);
    }

    function _operatorOwner(uint256 i) internal pure returns (address) {
        return address(uint160(0xC000 + i));
    }

    /// Sum of the registry's device stakes (handler devices) and operator stakes.
    function stakesHeld() public view returns (uint256 stakes) {
        for (uint256 i = 0; i < SLASHABLE; ++i) {
            stakes += registry.getDevice(slashableDevice(i)).stake;
        }
        for (uint256 i = 0; i < OPERATORS; ++i) {
            stakes += registry.getOperator(operatorSigner(i)).stake;
        }
    }

    /// Sum of the operator earnings the settlement owes the handler's operators.
    function earningsOwed() public view returns (uint256 owed) {
        for (uint256 i = 0; i < OPERATORS; ++i) {
            owed += settlement.operatorEarnings(operatorSigner(i));
        }
    }

    // ================================================================
    // Settlements
    // ================================================================

    /// The observations of a settlement: every registered handler operator (active or not: inactive ones are
    /// paid nothing), ascending by address, each with a made-up observation hash.
    function _observations(uint64 epoch)
        internal
        view
        returns (IVigilSettlement.ObservationRef[] memory refs, bytes32 commitment)
    {
        address[] memory signers = new address[](OPERATORS);
        uint256 n;
        for (uint256 i = 0; i < OPERATORS; ++i) {
            address signer = operatorSigner(i);
            if (registry.getOperator(signer).status == IVigilRegistry.Status.None) continue;
            uint256 j = n++;
            // insertion sort: at most four entries
            while (j > 0 && signers[j - 1] > signer) {
                signers[j] = signers[j - 1];
                --j;
            }
            signers[j] = signer;
        }
        refs = new IVigilSettlement.ObservationRef[](n);
        bytes memory packed;
        for (uint256 i = 0; i < n; ++i) {
            refs[i] =
                IVigilSettlement.ObservationRef(signers[i], keccak256(abi.encode("obs", epoch, signers[i])));
            packed = abi.encodePacked(packed, refs[i].observer, refs[i].hash);
        }
        commitment = keccak256(packed);
    }

    function _buildSettlement(uint64 epoch, uint256[4] calldata rewards)
        internal
        returns (IVigilSettlement.EpochSettlement memory s)
    {
        delete s_lines[epoch]; // lines of an attempt that returned early
        uint256 budgetPerEpoch = registry.getNetwork(networkId).rewardBudgetPerEpoch;
        for (uint256 i = 0; i < LINES; ++i) {
            uint256 reward = bound(rewards[i], 0, budgetPerEpoch / LINES);
            s.totalReward += reward;
            s_lines[epoch].push(
                IVigilFeed.DeviceLine(networkId, epoch, devices[i], owners[i], 10_000, 1, reward, 0)
            );
        }
        s.networkId = networkId;
        s.epoch = epoch;
        s.resultRoot = CommutativeTree.root(_leaves(epoch));
        s.deviceCount = uint32(LINES);
        s.qualifiedCount = uint32(LINES); // every line has uptime and work
        (s.observations, s.observationsCommitment) = _observations(epoch);
    }

    /// Settles the next epoch with four lines, observations of the registered operators and up to two device
    /// slashes of any amount; checks the fee and the budget against the book's own prediction.
    function settle(uint256[4] calldata rewards, uint256 slashSeed, uint256 slashAmount) external {
        uint64 epoch = settledEpochs;
        IVigilSettlement.EpochSettlement memory s = _buildSettlement(epoch, rewards);
        uint256 budgetBefore = settlement.budgetOf(networkId);
        if (s.totalReward > budgetBefore) return;
        // Two slashes with fresh evidence, for devices a fraud report may already have slashed in this epoch.
        bytes32[2] memory slashed =
            [slashableDevice(slashSeed % SLASHABLE), slashableDevice((slashSeed >> 8) % SLASHABLE)];
        uint256[2] memory stakesBefore;
        s.slashes = new IVigilSettlement.DeviceSlash[](2);
        for (uint256 i = 0; i < 2; ++i) {
            uint256 amount = bound(uint256(keccak256(abi.encode(slashAmount, i))), 0, 20e18);
            s.slashes[i] = IVigilSettlement.DeviceSlash(slashed[i], amount, 1, _evidence(false));
            stakesBefore[i] = registry.getDevice(slashed[i]).stake;
        }
        uint256 end = uint256(registry.getNetwork(networkId).genesisTime) + (uint256(epoch) + 1) * epochLength;
        if (block.timestamp < end) vm.warp(end);
        uint256 supplyBefore = token.totalSupply();
        uint256 owedBefore = earningsOwed() + settlement.treasuryAccrued();
        uint256 takenBefore = registry.getDevice(slashed[0]).slashed + registry.getDevice(slashed[1]).slashed;
        vm.prank(settlement.forwarder());
        settlement.onReport(_meta(settleName, workflowOwner), abi.encode(uint8(1), abi.encode(s)));
        uint256 taken =
            registry.getDevice(slashed[0]).slashed + registry.getDevice(slashed[1]).slashed - takenBefore;
        // One device twice: its `slashed` was summed twice above, and its second slash is skipped.
        if (slashed[1] == slashed[0]) taken /= 2;
        _recordSlash(epoch, slashed[0], stakesBefore[0]);
        if (slashed[1] != slashed[0]) _recordSlash(epoch, slashed[1], stakesBefore[1]);
        _checkFee(budgetBefore - s.totalReward, supplyBefore, owedBefore, taken);
        ghostSlashedToBudget += taken;
        settledEpochs = epoch + 1;
        ghostFunded += s.totalReward;
    }

    /// The fee the contract must have charged: `feePerDeviceEpoch` per qualified device (all four lines, at most
    /// the devices the network registered), capped by what the budget held after the reward beyond one
    /// epoch's budget (the next reward comes first); `feeBurnBps` of it burned, the rest owed to operators or
    /// the treasury.
    function _checkFee(uint256 budgetAfterReward, uint256 supplyBefore, uint256 owedBefore, uint256 taken)
        internal
    {
        uint256 registered = registry.getNetwork(networkId).deviceCount;
        uint256 feeDue = uint256(settlement.feePerDeviceEpoch()) * (LINES < registered ? LINES : registered);
        uint256 reserve = registry.getNetwork(networkId).rewardBudgetPerEpoch;
        uint256 available = budgetAfterReward > reserve ? budgetAfterReward - reserve : 0;
        uint256 fee = feeDue < available ? feeDue : available;
        uint256 burned = supplyBefore - token.totalSupply();
        uint256 owed = earningsOwed() + settlement.treasuryAccrued() - owedBefore;
        if (burned != fee * settlement.feeBurnBps() / MAX_BPS || burned + owed != fee) feeMismatches += 1;
        if (settlement.budgetOf(networkId) != budgetAfterReward - fee + taken) budgetMismatches += 1;
        ghostBurned += burned;
        ghostFees += fee;
    }

    /// Settlements from anyone but the forwarder with the configured workflow, or paying more than the network's
    /// budget per epoch, must fail.
    function attackSettle(address caller, address owner, bytes10 name, uint256 excess) external {
        bool authorized = caller == settlement.forwarder() && owner == workflowOwner && name == settleName;
        IVigilSettlement.EpochSettlement memory s;
        s.networkId = networkId;
        s.epoch = settledEpochs;
        s.resultRoot = bytes32(uint256(1));
        s.observationsCommitment = keccak256("");
        if (authorized) {
            s.totalReward =
                uint256(registry.getNetwork(networkId).rewardBudgetPerEpoch) + bound(excess, 1, 1e24);
        }
        uint256 end =
            uint256(registry.getNetwork(networkId).genesisTime) + (uint256(s.epoch) + 1) * epochLength;
        if (block.timestamp < end) vm.warp(end);
        vm.prank(caller);
        try settlement.onReport(_meta(name, owner), abi.encode(uint8(1), abi.encode(s))) {
            if (authorized) overBudgetSettles += 1;
            else unauthorizedSettles += 1;
        } catch {}
    }

    /// A fraud report for any epoch from 0 to the next one: only the current epoch and the one just closed apply.
    function fraudSlash(uint256 seed, uint256 amount, bool reuseEvidence, uint256 epochSeed) external {
        bytes32 deviceId = slashableDevice(seed % SLASHABLE);
        uint256 current = (block.timestamp - registry.getNetwork(networkId).genesisTime) / epochLength;
        uint64 epoch = uint64(bound(epochSeed, 0, current + 1));
        uint256 budgetBefore = settlement.budgetOf(networkId);
        uint256 stakeBefore = registry.getDevice(deviceId).stake;
        IVigilSettlement.DeviceSlash memory slash =
            IVigilSettlement.DeviceSlash(deviceId, bound(amount, 0, 1e30), 1, _evidence(reuseEvidence));
        vm.prank(settlement.forwarder());
        settlement.onReport(
            _meta(slashName, workflowOwner), abi.encode(uint8(2), abi.encode(networkId, epoch, slash))
        );
        uint256 taken = stakeBefore - registry.getDevice(deviceId).stake;
        if (taken != 0 && epoch != current && epoch + 1 != current) inadmissibleFraudSlashes += 1;
        if (settlement.budgetOf(networkId) != budgetBefore + taken) budgetMismatches += 1;
        _recordSlash(epoch, deviceId, stakeBefore);
        ghostSlashedToBudget += taken;
    }

    // ================================================================
    // Claims
    // ================================================================

    /// Claims a line by one of the three paths (`claim`, `claimTo`, `claimAndCall` through the hook).
    function claim(uint256 epochSeed, uint256 lineSeed, address receiver, uint8 path) external {
        if (settledEpochs == 0) return;
        uint64 epoch = uint64(bound(epochSeed, 0, settledEpochs - 1));
        uint256 index = bound(lineSeed, 0, LINES - 1);
        IVigilFeed.DeviceLine memory line = s_lines[epoch][index];
        if (
            receiver == address(0) || receiver == address(settlement) || receiver == address(registry)
                || receiver == address(token) || receiver == COPIER
        ) {
            receiver = line.owner;
        }
        bytes32[] memory proof = CommutativeTree.proof(_leaves(epoch), index);
        bytes32 key = keccak256(abi.encode(epoch, index));
        // A first claim of a line with a reward must succeed unless probation escrows it; any other claim must fail.
        bool fresh = successfulClaims[key] == 0 && line.reward > 0;
        bool escrowed = _escrowed(line.deviceId, epoch);
        if (fresh && !escrowed) freshClaims += 1;
        bool ok = _claimVia(path % 3, epoch, line, proof, receiver);
        if (ok) {
            if (escrowed) escrowBreaches += 1;
            successfulClaims[key] += 1;
            if (successfulClaims[key] > 1) doubleClaims += 1;
            ghostClaimed += line.reward;
        } else if (fresh && escrowed) {
            escrowedRefusals += 1;
        } else if (fresh) {
            failedFreshClaims += 1;
        }
    }

    /// Whether probation must refuse a claim of `deviceId`'s `epoch` reward: an epoch before the device's release
    /// (registration epoch + probation) until epoch `release` has settled, or at all once a slash took its stake.
    function _escrowed(bytes32 deviceId, uint64 epoch) internal view returns (bool) {
        uint64 registered = registeredEpochPlusOne[deviceId];
        if (probation == 0 || registered == 0) return false;
        uint64 release = registered - 1 + probation;
        return epoch < release && (everSlashed[deviceId] || settledEpochs <= release);
    }

    /// The network owner sets a probation of 0..3 epochs (it applies to every device, from the next claim on).
    function setProbation(uint256 seed) external {
        probation = uint32(seed % 4);
        vm.prank(networkOwner);
        registry.setProbationEpochs(networkId, probation);
    }

    /// One claim as the line's owner; `claimAndCall` must leave exactly the reward with the hook.
    function _claimVia(
        uint256 path,
        uint64 epoch,
        IVigilFeed.DeviceLine memory line,
        bytes32[] memory proof,
        address receiver
    ) internal returns (bool ok) {
        uint256 hookBefore = token.balanceOf(address(hook));
        bytes memory data = abi.encode(epoch, receiver);
        vm.prank(line.owner);
        if (path == 0) {
            try settlement.claim(networkId, epoch, line, proof) {
                ok = true;
            } catch {}
        } else if (path == 1) {
            try settlement.claimTo(networkId, epoch, line, proof, receiver) {
                ok = true;
            } catch {}
        } else {
            try settlement.claimAndCall(networkId, epoch, line, proof, address(hook), data) {
                ok = true;
                hookClaims += 1;
                if (token.balanceOf(address(hook)) != hookBefore + line.reward) doubleClaims += 1;
            } catch {}
        }
    }

    // ================================================================
    // Budget
    // ================================================================

    function deposit(uint256 amount) external {
        amount = bound(amount, 1, 1e24);
        _mint(address(this), amount);
        token.approve(address(settlement), amount);
        settlement.depositBudget(networkId, amount);
        ghostDeposited += amount;
    }

    /// The network owner takes back any part of the unspent budget.
    function withdrawBudget(uint256 amount, address to) external {
        uint256 budget = settlement.budgetOf(networkId);
        if (budget == 0) return;
        amount = bound(amount, 1, budget);
        if (to == address(0) || to == address(settlement) || to == address(registry) || to == COPIER) {
            to = networkOwner;
        }
        vm.prank(networkOwner);
        settlement.withdrawBudget(networkId, amount, to);
        ghostBudgetWithdrawn += amount;
    }

    // ================================================================
    // Devices
    // ================================================================

    function registerDevice(uint256 seed) external {
        bytes32 deviceId = slashableDevice(seed % SLASHABLE);
        if (registry.getDevice(deviceId).status != IVigilRegistry.Status.None) return;
        uint128 stake = registry.getNetwork(networkId).stakePerDevice;
        address owner = address(uint160(0xB000 + seed % SLASHABLE));
        _mint(owner, stake);
        vm.startPrank(owner);
        token.approve(address(registry), stake);
        registry.registerDevice(networkId, deviceId, owner);
        vm.stopPrank();
        uint256 genesis = registry.getNetwork(networkId).genesisTime;
        registeredEpochPlusOne[deviceId] =
            uint64((block.timestamp <= genesis ? 0 : (block.timestamp - genesis) / epochLength) + 1);
        stakeAtRegistration[deviceId] = stake;
        ghostStaked += stake;
    }

    function requestDeviceExit(uint256 seed) external {
        bytes32 deviceId = slashableDevice(seed % SLASHABLE);
        IVigilRegistry.Device memory d = registry.getDevice(deviceId);
        if (d.status != IVigilRegistry.Status.Active) return;
        vm.prank(d.owner);
        registry.requestDeviceExit(deviceId);
        exits += 1;
    }

    /// Anyone may trigger the withdrawal; the stake left after slashes goes to the owner, and only after the
    /// unbonding delay.
    function withdrawDeviceStake(uint256 seed) external {
        bytes32 deviceId = slashableDevice(seed % SLASHABLE);
        IVigilRegistry.Device memory d = registry.getDevice(deviceId);
        if (d.status != IVigilRegistry.Status.Exiting) return;
        uint256 ownerBefore = token.balanceOf(d.owner);
        try registry.withdrawDeviceStake(deviceId) {
            if (block.timestamp < d.exitAvailableAt) badWithdrawals += 1;
            if (token.balanceOf(d.owner) != ownerBefore + d.stake) badWithdrawals += 1;
            deviceWithdrawn[deviceId] += d.stake;
            ghostStakeWithdrawn += d.stake;
        } catch {
            if (block.timestamp >= d.exitAvailableAt) badWithdrawals += 1;
        }
    }

    // ================================================================
    // Operators
    // ================================================================

    function registerOperator(uint256 seed, uint256 stake) external {
        uint256 i = seed % OPERATORS;
        address signer = operatorSigner(i);
        if (registry.getOperator(signer).status != IVigilRegistry.Status.None) return;
        stake = bound(stake, registry.minOperatorStake(), 1_000e18);
        address owner = _operatorOwner(i);
        _mint(owner, stake);
        vm.startPrank(owner);
        token.approve(address(registry), stake);
        // forge-lint: disable-next-line(unsafe-typecast)
        registry.registerOperator(signer, hex"0024080112201234", uint128(stake));
        vm.stopPrank();
        ghostStaked += stake;
    }

    function requestOperatorExit(uint256 seed) external {
        uint256 i = seed % OPERATORS;
        address signer = operatorSigner(i);
        if (registry.getOperator(signer).status != IVigilRegistry.Status.Active) return;
        vm.prank(_operatorOwner(i));
        registry.requestOperatorExit(signer);
        exits += 1;
    }

    function withdrawOperatorStake(uint256 seed) external {
        uint256 i = seed % OPERATORS;
        address signer = operatorSigner(i);
        IVigilRegistry.Operator memory op = registry.getOperator(signer);
        if (op.status != IVigilRegistry.Status.Exiting) return;
        uint256 ownerBefore = token.balanceOf(op.owner);
        try registry.withdrawOperatorStake(signer) {
            if (block.timestamp < op.exitAvailableAt) badWithdrawals += 1;
            if (token.balanceOf(op.owner) != ownerBefore + op.stake) badWithdrawals += 1;
            ghostStakeWithdrawn += op.stake;
        } catch {
            if (block.timestamp >= op.exitAvailableAt) badWithdrawals += 1;
        }
    }

    /// An operator signer takes its fee earnings out of the settlement.
    function withdrawEarnings(uint256 seed, address to) external {
        address signer = operatorSigner(seed % OPERATORS);
        uint256 owed = settlement.operatorEarnings(signer);
        if (owed == 0) return;
        if (to == address(0) || to == address(settlement) || to == address(registry) || to == COPIER) {
            to = signer;
        }
        vm.prank(signer);
        settlement.withdrawOperatorEarnings(to);
        ghostEarningsWithdrawn += owed;
    }

    function sweepTreasury() external {
        uint256 accrued = settlement.treasuryAccrued();
        if (accrued == 0) return;
        settlement.sweepTreasury();
        ghostTreasurySwept += accrued;
    }

    /// An operator signs two different results for one epoch; a reporter commits, a copier commits for itself
    /// and replays the reveal ahead of the reporter's in the next block, then the reporter reveals (the copier's
    /// commitment matures in a later block, when another round's copier replay can try it). The copier must get nothing, and the
    /// whole stake must go to the reporter (`reporterRewardBps`) and the treasury (the rest), exactly.
    function slashEquivocation(uint256 seed, uint256 reporterSeed, uint64 epoch, bool rootsDiffer) external {
        uint256 i = seed % OPERATORS;
        address signer = operatorSigner(i);
        if (registry.getOperator(signer).status == IVigilRegistry.Status.None) return;
        IVigilSettlement.ResultVote memory a = IVigilSettlement.ResultVote(
            networkId, epoch, keccak256(abi.encode("root", seed)), keccak256("obs")
        );
        // A copy, not an alias of `a` (memory structs assign by reference).
        IVigilSettlement.ResultVote memory b =
            IVigilSettlement.ResultVote(a.networkId, a.epoch, a.resultRoot, a.observationsCommitment);
        if (rootsDiffer) b.resultRoot = keccak256(abi.encode("other root", seed));
        else b.observationsCommitment = keccak256("other obs");
        bytes memory sigA = _signVote(s_operatorKeys[i], a);
        bytes memory sigB = _signVote(s_operatorKeys[i], b);
        address reporter = address(uint160(0xD000 + reporterSeed % REPORTERS));
        bytes32 salt = keccak256(abi.encode("salt", nextSalt++));

        bytes32 reporterCommitment = settlement.equivocationCommitment(reporter, sigA, sigB, salt);
        vm.prank(reporter);
        settlement.commitEquivocation(reporterCommitment);
        vm.roll(block.number + 1);
        // The copier sees the reveal in the mempool, commits for itself and replays it ahead in the same block.
        bytes32 copierCommitment = settlement.equivocationCommitment(COPIER, sigA, sigB, salt);
        vm.prank(COPIER);
        settlement.commitEquivocation(copierCommitment);
        vm.prank(COPIER);
        try settlement.slashEquivocation(a, sigA, b, sigB, salt) {
            frontRunWins += 1;
        } catch {}
        _reveal(signer, reporter, a, sigA, b, sigB, salt);
    }

    function _reveal(
        address signer,
        address reporter,
        IVigilSettlement.ResultVote memory a,
        bytes memory sigA,
        IVigilSettlement.ResultVote memory b,
        bytes memory sigB,
        bytes32 salt
    ) internal {
        uint256 stake = registry.getOperator(signer).stake;
        address treasury = settlement.treasury();
        uint256 reporterBefore = token.balanceOf(reporter);
        uint256 treasuryBefore = token.balanceOf(treasury);
        vm.prank(reporter);
        try settlement.slashEquivocation(a, sigA, b, sigB, salt) {
            uint256 reward = stake * settlement.reporterRewardBps() / MAX_BPS;
            if (
                stake == 0 || token.balanceOf(reporter) != reporterBefore + reward
                    || token.balanceOf(treasury) != treasuryBefore + stake - reward
                    || registry.getOperator(signer).stake != 0
            ) badEquivocationSplits += 1;
            ghostOperatorSlashed += stake;
            ghostReporterPaid += reward;
            ghostTreasuryFromSlashes += stake - reward;
            equivocationSlashes += 1;
        } catch {
            if (stake != 0) missedEquivocations += 1;
        }
    }

    function _signVote(uint256 key, IVigilSettlement.ResultVote memory vote)
        internal
        view
        returns (bytes memory)
    {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, settlement.resultVoteDigest(vote));
        return abi.encodePacked(r, s, v);
    }

    // ================================================================
    // Time
    // ================================================================

    /// Lets time pass without a settlement, so fraud reports meet stale epochs too.
    function wait(uint256 secs) external {
        vm.warp(block.timestamp + bound(secs, 1, 3 * uint256(epochLength)));
        vm.roll(block.number + 1);
    }

    /// Lets an unbonding end, so exits reach their withdrawals.
    function waitUnbonding() external {
        vm.warp(block.timestamp + registry.unbondingDelay() + 1);
        vm.roll(block.number + 1);
    }
}

contract VigilInvariantsTest is VigilFixture {
    /// Fee per verified device-epoch in the runs, and its split (the rest goes to the treasury).
    uint128 internal constant FEE = 2e18;
    uint16 internal constant FEE_BURN_BPS = 2_000;
    uint16 internal constant FEE_OPERATOR_BPS = 5_000;

    SettlementHandler internal handler;

    function setUp() public override {
        super.setUp();
        vm.startPrank(admin);
        token.grantMintAndBurnRoles(address(settlement));
        settlement.setFees(FEE, FEE_BURN_BPS, FEE_OPERATOR_BPS);
        // The shortest unbonding governance may set: exits reach their withdrawals within a run.
        registry.setUnbondingDelay(registry.MIN_UNBONDING_DELAY());
        vm.stopPrank();
        handler = new SettlementHandler(
            SettlementHandler.Wiring({
                settlement: settlement,
                registry: registry,
                token: token,
                networkId: networkId,
                admin: admin,
                networkOwner: networkOwner,
                workflowOwner: workflowOwner,
                settleName: SETTLE_NAME,
                slashName: SLASH_NAME
            })
        );
        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](20);
        selectors[0] = SettlementHandler.settle.selector;
        selectors[1] = SettlementHandler.claim.selector;
        selectors[2] = SettlementHandler.registerDevice.selector;
        selectors[3] = SettlementHandler.fraudSlash.selector;
        selectors[4] = SettlementHandler.deposit.selector;
        selectors[5] = SettlementHandler.attackSettle.selector;
        selectors[6] = SettlementHandler.wait.selector;
        selectors[7] = SettlementHandler.withdrawBudget.selector;
        selectors[8] = SettlementHandler.requestDeviceExit.selector;
        selectors[9] = SettlementHandler.withdrawDeviceStake.selector;
        selectors[10] = SettlementHandler.registerOperator.selector;
        selectors[11] = SettlementHandler.requestOperatorExit.selector;
        selectors[12] = SettlementHandler.withdrawOperatorStake.selector;
        selectors[13] = SettlementHandler.slashEquivocation.selector;
        selectors[14] = SettlementHandler.waitUnbonding.selector;
        selectors[15] = SettlementHandler.withdrawEarnings.selector;
        selectors[16] = SettlementHandler.sweepTreasury.selector;
        // Weighted: settlements and claims are what the money flows through.
        selectors[17] = SettlementHandler.settle.selector;
        selectors[18] = SettlementHandler.claim.selector;
        selectors[19] = SettlementHandler.setProbation.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    /// The settlement holds exactly what it owes: the unspent budget, every epoch's funded and unclaimed reward,
    /// the operators' earnings and the treasury's accrual; and that equals the book's flows in and out.
    function invariant_SettlementHoldsItsBook() public view {
        uint256 unclaimed;
        for (uint64 e = 0; e < handler.settledEpochs(); ++e) {
            IVigilFeed.EpochResult memory r = settlement.epochResult(networkId, e);
            unclaimed += r.totalReward - r.claimed;
        }
        uint256 budget = settlement.budgetOf(networkId);
        uint256 held = token.balanceOf(address(settlement));
        assertEq(held, budget + unclaimed + handler.earningsOwed() + settlement.treasuryAccrued(), "owed");
        assertEq(
            held + handler.ghostBudgetWithdrawn() + handler.ghostClaimed() + handler.ghostBurned()
                + handler.ghostEarningsWithdrawn() + handler.ghostTreasurySwept(),
            handler.ghostDeposited() + handler.ghostSlashedToBudget(),
            "flows"
        );
        assertEq(
            budget + handler.ghostBudgetWithdrawn() + handler.ghostFunded() + handler.ghostFees(),
            handler.ghostDeposited() + handler.ghostSlashedToBudget(),
            "budget"
        );
        assertEq(unclaimed, handler.ghostFunded() - handler.ghostClaimed(), "unclaimed");
        assertEq(handler.feeMismatches(), 0, "fee");
        assertEq(handler.budgetMismatches(), 0, "budget step");
    }

    /// The registry holds exactly the stakes still locked: staked in, less withdrawn, less slashed away.
    function invariant_RegistryHoldsTheStakes() public view {
        uint256 held = token.balanceOf(address(registry));
        assertEq(held, handler.stakesHeld());
        assertEq(
            held + handler.ghostStakeWithdrawn() + handler.ghostSlashedToBudget()
                + handler.ghostOperatorSlashed(),
            handler.ghostStaked()
        );
        assertEq(handler.badWithdrawals(), 0);
    }

    function invariant_TokenSupplyAccounting() public view {
        assertEq(token.totalSupply(), handler.ghostMinted() - handler.ghostBurned());
    }

    function invariant_TotalClaimedNeverExceedsFundedPerEpoch() public view {
        uint64 epochs = handler.settledEpochs();
        uint256 budgetPerEpoch = registry.getNetwork(networkId).rewardBudgetPerEpoch;
        uint256 claimed;
        for (uint64 e = 0; e < epochs; ++e) {
            IVigilFeed.EpochResult memory r = settlement.epochResult(networkId, e);
            assertLe(r.claimed, r.totalReward);
            assertLe(r.totalReward, budgetPerEpoch);
            claimed += r.claimed;
        }
        assertEq(claimed, handler.ghostClaimed());
        assertEq(handler.overBudgetSettles(), 0);
    }

    /// Probation: no reward of a device's probation epochs is paid before they have all settled, nor after a slash.
    function invariant_ProbationEscrowHolds() public view {
        assertEq(handler.escrowBreaches(), 0);
    }

    function invariant_NoLineClaimedTwice() public view {
        assertEq(handler.doubleClaims(), 0);
        assertEq(handler.hook().unfundedCalls(), 0);
    }

    /// Keeps the claim invariants meaningful: valid first claims are paid, so `ghostClaimed` really moves.
    function invariant_ValidFirstClaimsArePaid() public view {
        assertEq(handler.failedFreshClaims(), 0);
    }

    /// Every device's registration stake is accounted for: still staked, slashed, or withdrawn by its owner.
    function invariant_DeviceStakeAccounting() public view {
        for (uint256 i = 0; i < 8; ++i) {
            bytes32 id = handler.slashableDevice(i);
            IVigilRegistry.Device memory d = registry.getDevice(id);
            if (d.status == IVigilRegistry.Status.None) continue;
            assertEq(
                uint256(d.stake) + d.slashed + handler.deviceWithdrawn(id), handler.stakeAtRegistration(id)
            );
        }
    }

    /// A slashed operator's stake goes to the reporter and the treasury, exactly, and a copier of the reveal
    /// gets nothing.
    function invariant_OperatorSlashGoesToReporterAndTreasury() public view {
        uint256 slashed;
        for (uint256 i = 0; i < 4; ++i) {
            slashed += registry.getOperator(handler.operatorSigner(i)).slashed;
        }
        assertEq(slashed, handler.ghostOperatorSlashed());
        assertEq(slashed, handler.ghostReporterPaid() + handler.ghostTreasuryFromSlashes());
        assertEq(handler.badEquivocationSplits(), 0);
        assertEq(handler.missedEquivocations(), 0);
        assertEq(handler.frontRunWins(), 0);
        assertEq(token.balanceOf(handler.COPIER()), 0);
    }

    /// At most one slash per device and epoch, across settlements and fraud reports, and a fraud report only
    /// for the current epoch or the one just closed.
    function invariant_OneSlashPerDeviceAndEpoch() public view {
        assertEq(handler.repeatedSlashes(), 0);
        assertEq(handler.inadmissibleFraudSlashes(), 0);
    }

    function invariant_OnlyForwarderWithWorkflowSettles() public view {
        assertEq(handler.unauthorizedSettles(), 0);
        assertEq(settlement.nextEpoch(networkId), handler.settledEpochs());
    }

    /// The handler's equivocation path itself: a registered operator is slashed, the copier gets nothing.
    function test_HandlerSlashesAnEquivocatingOperator() public {
        handler.registerOperator(5656, 32);
        handler.slashEquivocation(11056, 19, 49152, true);
        assertEq(handler.missedEquivocations(), 0, "missed");
        assertEq(handler.badEquivocationSplits(), 0, "split");
        assertEq(handler.frontRunWins(), 0, "front-run");
        assertEq(handler.equivocationSlashes(), 1);
    }

    /// Every handler does its job along one scripted sequence (the fuzzer's runs are random and short), and the
    /// invariants hold at its end: fees reach operators and the treasury, claims go through all three paths, stakes
    /// leave through exits, budget leaves through the owner.
    function test_HandlersMoveEveryFlow() public {
        uint256[4] memory rewards = [uint256(100e18), 50e18, 0, 25e18];
        handler.registerOperator(0, 200e18);
        handler.registerOperator(1, 300e18);
        handler.registerDevice(0);
        handler.registerDevice(1);
        handler.registerDevice(2);
        handler.settle(rewards, 0, 5e18);
        handler.settle(rewards, 1, 0);
        assertGt(handler.earningsOwed(), 0, "operator share");
        assertGt(settlement.treasuryAccrued(), 0, "treasury share");
        assertGt(handler.ghostBurned(), 0, "burn");
        handler.claim(0, 0, alice, 0);
        handler.claim(0, 1, alice, 1);
        handler.claim(1, 0, alice, 2);
        assertEq(handler.hookClaims(), 1);
        assertEq(handler.hook().received(), 100e18);
        handler.fraudSlash(1, 3e18, false, type(uint256).max);
        handler.withdrawBudget(1e18, bob);
        handler.withdrawEarnings(0, bob);
        handler.sweepTreasury();
        handler.requestDeviceExit(2);
        handler.requestOperatorExit(1);
        handler.slashEquivocation(0, 0, 3, true);
        assertEq(handler.equivocationSlashes(), 1);
        handler.waitUnbonding();
        handler.withdrawDeviceStake(2);
        handler.withdrawOperatorStake(1);
        handler.withdrawOperatorStake(0);
        // Device 2 was never slashed: its whole stake comes back; operator 1 too, operator 0 was slashed.
        assertEq(handler.deviceWithdrawn(handler.slashableDevice(2)), STAKE_PER_DEVICE, "device withdrawal");
        assertEq(handler.ghostStakeWithdrawn(), STAKE_PER_DEVICE + 300e18);
        assertGt(handler.ghostBudgetWithdrawn(), 0);
        assertGt(handler.ghostEarningsWithdrawn(), 0);
        assertGt(handler.ghostTreasurySwept(), 0);

        invariant_SettlementHoldsItsBook();
        invariant_RegistryHoldsTheStakes();
        invariant_TokenSupplyAccounting();
        invariant_TotalClaimedNeverExceedsFundedPerEpoch();
        invariant_NoLineClaimedTwice();
        invariant_ValidFirstClaimsArePaid();
        invariant_DeviceStakeAccounting();
        invariant_OperatorSlashGoesToReporterAndTreasury();
        invariant_OneSlashPerDeviceAndEpoch();
        invariant_OnlyForwarderWithWorkflowSettles();
        invariant_ProbationEscrowHolds();
    }

    function test_HandlerEscrowsAndForfeitsProbationRewards() public {
        uint256[4] memory rewards = [uint256(100e18), 50e18, 0, 25e18];
        handler.registerOperator(0, 200e18);
        handler.registerDevice(0); // line 0's device, registered in epoch 0
        handler.setProbation(2);
        handler.settle(rewards, 257, 1e18); // slashes device 1 twice (unregistered): never line 0's
        handler.claim(0, 0, alice, 0);
        assertEq(handler.escrowedRefusals(), 1, "escrowed while epoch 1 is unsettled");
        handler.settle(rewards, 257, 1e18);
        handler.claim(0, 0, alice, 0);
        assertEq(handler.escrowedRefusals(), 2, "escrowed until epoch 2 settled");
        handler.settle(rewards, 257, 1e18);
        handler.claim(0, 0, alice, 0);
        assertEq(handler.successfulClaims(keccak256(abi.encode(uint64(0), uint256(0)))), 1, "released");
        // A slash of line 0's device forfeits what is still escrowed: epoch 1's line.
        handler.fraudSlash(0, 1e18, false, 3); // epoch 3, the current one
        assertTrue(handler.everSlashed(handler.slashableDevice(0)));
        handler.claim(1, 0, alice, 0);
        assertEq(handler.escrowedRefusals(), 3, "forfeited");
        invariant_ProbationEscrowHolds();
        invariant_ValidFirstClaimsArePaid();
        invariant_SettlementHoldsItsBook();
    }

    function afterInvariant() external view {
        // Over a whole run the handler does settle and claim (not only revert).
        if (handler.settledEpochs() > 0 && handler.freshClaims() > 0) assertGt(handler.ghostClaimed(), 0);
    }
}
