// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {GuardianPausable} from "./governance/GuardianPausable.sol";
import {IClaimHook} from "./interfaces/IClaimHook.sol";
import {IVigilRegistry} from "./interfaces/IVigilRegistry.sol";
import {IVigilSettlement} from "./interfaces/IVigilSettlement.sol";
import {IReceiver} from "@chainlink/contracts/src/v0.8/keystone/interfaces/IReceiver.sol";
import {IBurnMintERC20} from "@chainlink/contracts/src/v0.8/shared/token/ERC20/IBurnMintERC20.sol";
import {IERC165} from "@openzeppelin/contracts@5.0.2/utils/introspection/IERC165.sol";
import {IAccessControl} from "@openzeppelin/contracts@5.3.0/access/IAccessControl.sol";
import {Ownable} from "@openzeppelin/contracts@5.3.0/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts@5.3.0/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts@5.3.0/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts@5.3.0/utils/ReentrancyGuardTransient.sol";
import {ECDSA} from "@openzeppelin/contracts@5.3.0/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts@5.3.0/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts@5.3.0/utils/cryptography/MerkleProof.sol";
import {SafeCast} from "@openzeppelin/contracts@5.3.0/utils/math/SafeCast.sol";

/// @title VigilSettlement
/// @notice Receives CRE reports through Chainlink's `KeystoneForwarder` and settles epochs of Vigil networks;
/// holds the reward budgets, pays claims against the settled Merkle roots, applies device slashes and slashes
/// equivocating oracle signers. It is also the verified feed (`IVigilFeed`) DePIN contracts read. Each certified
/// settlement pays a verification fee from the network's budget (burned, operators, treasury; docs/contracts.md,
/// "Economics"), and each network sets its own emission schedule (`epochEmission`).
/// @dev Owned (two-step) by the governance timelock in production. A guardian `pause` stops what flows from the
/// DON's word: `onReport` (settlements and fraud slashes; the forwarder records the failed transmission and it can
/// be sent again after `unpause`, epochs still settle in order), the three claim paths and
/// `withdrawOperatorEarnings` (a compromised DON or claim hook pays out nothing more; a line never expires, so a
/// pause delays a claim and never takes it). It never stops budget deposits and withdrawals by network owners, or
/// `commitEquivocation` and `slashEquivocation`, which rest on the offender's own signatures, not on the DON, and
/// must land before the offender's unbonding ends.
contract VigilSettlement is IVigilSettlement, EIP712, GuardianPausable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    uint8 public constant KIND_EPOCH_SETTLEMENT = 1;
    uint8 public constant KIND_FRAUD_SLASH = 2;
    bytes32 public constant RESULT_VOTE_TYPEHASH = keccak256(
        "ResultVote(uint64 networkId,uint64 epoch,bytes32 resultRoot,bytes32 observationsCommitment)"
    );
    /// workflow_cid(32) | workflow_name(10) | workflow_owner(20); the forwarder sends 2 more bytes (report id).
    uint256 internal constant MIN_METADATA_LENGTH = 62;
    uint16 internal constant MAX_BPS = 10_000;
    /// Epochs after an epoch's end before it may settle as a timeout (zero root, nothing paid or slashed): long
    /// enough for agreement and settlement of a healthy network (seconds after the end), short enough that one
    /// epoch nobody certified (more than f nodes down across its end) holds every later epoch only briefly.
    uint64 public constant SETTLEMENT_TIMEOUT_EPOCHS = 2;
    /// `BurnMintERC20.BURNER_ROLE`: the role VGL's `burn(uint256)` wants.
    bytes32 internal constant BURNER_ROLE = keccak256("BURNER_ROLE");
    /// Gas of a settlement transaction that `gasleft()` inside `onReport` cannot see, added to what it measures
    /// when reimbursing the transmitter: the 21,000 intrinsic gas, the calldata (~12k for a 2-device report with
    /// 4 observations and 2 signatures), the forwarder's signature checks, ERC-165 probe and fresh transmission
    /// record before the call and its `success` write and event after it, and this contract's own work after the
    /// measurement (the observers' credits, the treasury's, events, the burn). 99,000 is what
    /// `test_ReimbursementMatchesTransmitterGas` (SettlementEconomics.t.sol) measures on the real KeystoneForwarder
    /// path for such a report in steady state (credited balances already non-zero): 208,156 paid against 109,056
    /// seen inside. A larger report pays more calldata than this counts; the first credit of an account (a fresh
    /// slot, ~20k) is not reimbursed; `maxGasPriceWei` and the operator share bound what any error costs.
    uint256 internal constant TRANSMIT_GAS_OVERHEAD = 99_000;
    /// The priority fee (tip) a reimbursed transmission may carry above the block's base fee: 2 gwei, a generous
    /// tip on Ethereum mainnet and its L2s, where a settlement needs no race to be included.
    uint256 internal constant MAX_PRIORITY_FEE_WEI = 2 gwei;

    /// The part of a network's books that every settlement touches, packed into one slot.
    struct Ledger {
        uint128 budget;
        uint64 nextEpoch;
    }

    IVigilRegistry internal immutable i_registry;
    IERC20 internal immutable i_token;

    address public forwarder;
    address public treasury;
    uint16 public reporterRewardBps;

    /// @inheritdoc IVigilSettlement
    uint128 public feePerDeviceEpoch;
    /// @inheritdoc IVigilSettlement
    uint16 public feeBurnBps;
    /// @inheritdoc IVigilSettlement
    uint16 public feeOperatorBps;
    /// @inheritdoc IVigilSettlement
    uint128 public vglPerEth;
    /// @inheritdoc IVigilSettlement
    uint64 public maxGasPriceWei;
    /// @inheritdoc IVigilSettlement
    uint256 public treasuryAccrued;
    /// @inheritdoc IVigilSettlement
    mapping(address signer => uint256) public operatorEarnings;
    /// @inheritdoc IVigilSettlement
    mapping(uint64 networkId => uint32) public emissionHalving;

    mapping(uint8 kind => Workflow) internal s_workflows;
    mapping(uint64 networkId => Ledger) internal s_ledgers;
    /// Beacon of the next epoch to settle; zero until the first settlement (then the genesis beacon applies).
    mapping(uint64 networkId => bytes32) internal s_beacons;
    mapping(uint64 networkId => mapping(uint64 epoch => EpochResult)) internal s_results;
    /// Claimed flags as bitmaps: one word per (network, device, 256 consecutive epochs). A device that claims every
    /// epoch flips a bit in a word that is already non-zero (a ~5k write instead of ~22k for a fresh slot).
    mapping(bytes32 wordKey => uint256 bitmap) internal s_claimedEpochs;
    mapping(bytes32 evidenceHash => bool) internal s_evidenceApplied;
    /// One slash per device and epoch: evidence is per challenge, and a challenger re-signing the same exchange (a
    /// new receive timestamp gives a new `evidenceHash`) or several assigned challengers catching the same cheat
    /// must not multiply the penalty.
    mapping(uint64 networkId => mapping(uint64 epoch => mapping(bytes32 deviceId => bool))) internal
        s_slashed;
    /// Block of the first commit of each equivocation commitment (`commitEquivocation`); deleted when used.
    mapping(bytes32 commitment => uint256 blockNumber) internal s_equivocationCommits;
    /// Each network's uptime SLA (`setUptimeSla`), applied by the nodes' result function, not here.
    mapping(uint64 networkId => UptimeSla) internal s_uptimeSla;

    /// @param registry_ The registry whose stakes this contract slashes (it must name this contract its settlement).
    /// @param forwarder_ The `KeystoneForwarder` allowed to call `onReport`.
    /// @param admin Owner (configures forwarder, workflows, treasury) and first treasury.
    /// @param reporterRewardBps_ Share of a slashed oracle stake paid to whoever proved the equivocation.
    constructor(IVigilRegistry registry_, address forwarder_, address admin, uint16 reporterRewardBps_)
        EIP712("Vigil", "1")
        Ownable(admin)
    {
        if (address(registry_) == address(0) || forwarder_ == address(0)) revert ZeroAddress();
        if (reporterRewardBps_ > MAX_BPS) revert InvalidBps(reporterRewardBps_);
        i_registry = registry_;
        i_token = IERC20(registry_.token());
        forwarder = forwarder_;
        treasury = admin;
        reporterRewardBps = reporterRewardBps_;
        emit ForwarderSet(forwarder_);
        emit TreasurySet(admin);
        emit ReporterRewardBpsSet(reporterRewardBps_);
    }

    // ================================================================
    // Admin
    // ================================================================

    /// @notice Allows reports of `kind` only from the workflow with this owner and name (zero owner: none).
    function setWorkflow(uint8 kind, address owner_, bytes10 name) external onlyOwner {
        if (kind != KIND_EPOCH_SETTLEMENT && kind != KIND_FRAUD_SLASH) revert UnknownReportKind(kind);
        s_workflows[kind] = Workflow({owner: owner_, name: name});
        emit WorkflowSet(kind, owner_, name);
    }

    function setForwarder(address forwarder_) external onlyOwner {
        if (forwarder_ == address(0)) revert ZeroAddress();
        forwarder = forwarder_;
        emit ForwarderSet(forwarder_);
    }

    function setTreasury(address treasury_) external onlyOwner {
        if (treasury_ == address(0)) revert ZeroAddress();
        treasury = treasury_;
        emit TreasurySet(treasury_);
    }

    function setReporterRewardBps(uint16 bps) external onlyOwner {
        if (bps > MAX_BPS) revert InvalidBps(bps);
        reporterRewardBps = bps;
        emit ReporterRewardBpsSet(bps);
    }

    /// @notice Sets the verification fee per verified device-epoch and its split: `burnBps` burned,
    /// `operatorBps` to operators, the rest to the treasury. A burn share needs this contract to hold VGL's
    /// `BURNER_ROLE`: without it every settlement would revert on the burn, so the role is checked here.
    function setFees(uint128 feePerDeviceEpoch_, uint16 burnBps, uint16 operatorBps) external onlyOwner {
        if (uint256(burnBps) + operatorBps > MAX_BPS) revert InvalidFeeSplit(burnBps, operatorBps);
        if (burnBps != 0 && !_canBurn()) {
            revert CannotBurn(address(i_token));
        }
        feePerDeviceEpoch = feePerDeviceEpoch_;
        feeBurnBps = burnBps;
        feeOperatorBps = operatorBps;
        emit FeesSet(feePerDeviceEpoch_, burnBps, operatorBps);
    }

    /// @notice Sets how the transmitter's gas is reimbursed from the operator share: at `vglPerEth` VGL per ETH,
    /// with the gas price capped at `maxGasPriceWei`. Either zero: no reimbursement.
    function setGasReimbursement(uint128 vglPerEth_, uint64 maxGasPriceWei_) external onlyOwner {
        vglPerEth = vglPerEth_;
        maxGasPriceWei = maxGasPriceWei_;
        emit GasReimbursementSet(vglPerEth_, maxGasPriceWei_);
    }

    // ================================================================
    // Reports
    // ================================================================

    /// @inheritdoc IReceiver
    function onReport(bytes calldata metadata, bytes calldata report) external whenNotPaused {
        uint256 gasAtEntry = gasleft();
        if (msg.sender != forwarder) revert UnauthorizedForwarder(msg.sender);
        if (metadata.length < MIN_METADATA_LENGTH) revert InvalidMetadata(metadata.length);
        (uint8 kind, bytes memory payload) = abi.decode(report, (uint8, bytes));
        if (kind != KIND_EPOCH_SETTLEMENT && kind != KIND_FRAUD_SLASH) revert UnknownReportKind(kind);

        bytes10 name = bytes10(metadata[32:42]);
        address workflowOwner = address(bytes20(metadata[42:62]));
        Workflow memory expected = s_workflows[kind];
        if (expected.owner == address(0) || workflowOwner != expected.owner || name != expected.name) {
            revert UnauthorizedWorkflow(kind, workflowOwner, name);
        }

        if (kind == KIND_EPOCH_SETTLEMENT) {
            _settle(abi.decode(payload, (EpochSettlement)), gasAtEntry);
        } else {
            (uint64 networkId, uint64 epoch, DeviceSlash memory slash) =
                abi.decode(payload, (uint64, uint64, DeviceSlash));
            _fraudSlash(networkId, epoch, slash);
        }
    }

    /// A kind 2 report: a slash proven mid-epoch, applied at once if its epoch is still open to evidence.
    function _fraudSlash(uint64 networkId, uint64 epoch, DeviceSlash memory slash) internal {
        (, uint64 genesisTime, uint32 epochLength,) = i_registry.epochParams(networkId);
        if (epochLength == 0) revert UnknownNetwork(networkId);
        // Threat: a bundle kept back (or judged under a stale view of the chain) surfacing epochs later, when the
        // assignment and stakes it was judged against are gone. Only the current epoch and the one just closed
        // (whose evidence may still be in flight at the boundary) are open; anything older is the settlement's
        // business (kind 1), anything newer cannot have been assigned yet. Skipped with a reason, not reverted:
        // the forwarder swallows a revert, and a stale report never becomes applicable by retrying.
        // Epochs are minutes to days long; seconds of validator skew do not matter.
        // forge-lint: disable-next-line(block-timestamp)
        uint256 current = block.timestamp < genesisTime ? 0 : (block.timestamp - genesisTime) / epochLength;
        if (epoch != current && uint256(epoch) + 1 != current) {
            emit DeviceSlashSkipped(
                networkId, epoch, slash.deviceId, slash.evidenceHash, SlashSkipReason.EpochNotAdmissible
            );
            return;
        }
        _applySlash(networkId, epoch, slash);
    }

    function _settle(EpochSettlement memory s, uint256 gasAtEntry) internal {
        (uint128 budget, uint128 budgetPerEpoch) = _checkSettlement(s);
        uint256 budgetAfterReward = budget - s.totalReward;
        uint256 feeDue;
        uint256 fee;
        if (s.resultRoot != bytes32(0) && feePerDeviceEpoch != 0) {
            // The verification fee, for a certified result only (not a timeout), per *qualified* device: devices
            // that did verified work. Threat: charging per listed device let anyone register idle devices (stake
            // returned after unbonding) and turn a network's budget into fees; the count is the DON's word, so it
            // is also capped by the devices the registry ever registered in the network.
            uint256 basis = s.qualifiedCount < s.deviceCount ? s.qualifiedCount : s.deviceCount;
            uint256 registered = i_registry.getNetwork(s.networkId).deviceCount;
            if (basis > registered) basis = registered;
            feeDue = uint256(feePerDeviceEpoch) * basis;
            // Rewards come first: the fee takes only what the budget holds beyond the next epoch's largest reward,
            // and never reverts for lack of it (a network that cannot pay its fee must not stall its own
            // settlement, nor its next one). The shortfall is waived.
            uint256 available = budgetAfterReward > budgetPerEpoch ? budgetAfterReward - budgetPerEpoch : 0;
            fee = feeDue < available ? feeDue : available;
        }

        // The reward is funded now: it leaves the budget and can only be claimed.
        // fee <= budgetAfterReward <= budget, a uint128.
        // forge-lint: disable-next-line(unsafe-typecast)
        s_ledgers[s.networkId] = Ledger({budget: uint128(budgetAfterReward - fee), nextEpoch: s.epoch + 1});
        s_results[s.networkId][s.epoch] = EpochResult({
            resultRoot: s.resultRoot,
            observationsCommitment: s.observationsCommitment,
            totalReward: uint128(s.totalReward),
            claimed: 0,
            totalSlash: SafeCast.toUint128(s.totalSlash),
            deviceCount: s.deviceCount,
            settledAt: uint64(block.timestamp)
        });
        bytes32 next = keccak256(abi.encode(_beacon(s.networkId), s.resultRoot));
        s_beacons[s.networkId] = next;
        emit EpochSettled(
            s.networkId,
            s.epoch,
            s.resultRoot,
            s.observationsCommitment,
            s.deviceCount,
            s.totalReward,
            s.totalSlash,
            next
        );

        for (uint256 i = 0; i < s.slashes.length; ++i) {
            _applySlash(s.networkId, s.epoch, s.slashes[i]);
        }
        if (feeDue != 0) _chargeFee(s, feeDue, fee, gasAtEntry);
    }

    /// The checks of a kind 1 report (and its timeout event); returns the network's budget before it and its
    /// budget per epoch.
    function _checkSettlement(EpochSettlement memory s) internal returns (uint128, uint128) {
        (, uint64 genesisTime, uint32 epochLength, uint128 budgetPerEpoch) =
            i_registry.epochParams(s.networkId);
        if (epochLength == 0) revert UnknownNetwork(s.networkId);
        Ledger memory ledger = s_ledgers[s.networkId];
        if (s.epoch != ledger.nextEpoch) revert EpochOutOfOrder(s.networkId, s.epoch, ledger.nextEpoch);
        uint256 endsAt = uint256(genesisTime) + (uint256(s.epoch) + 1) * epochLength;
        // Epochs are minutes to days long; seconds of validator skew do not matter.
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp < endsAt) revert EpochNotOver(s.networkId, s.epoch, endsAt);
        // A zero root is a timeout: the DON agreed no node holds a result for the epoch. Threat: a DON quorum
        // skipping an epoch it could certify, to drop its rewards; so only once the timeout has passed, and it
        // can carry nothing.
        if (s.resultRoot == bytes32(0)) {
            uint256 timeoutAt = endsAt + uint256(SETTLEMENT_TIMEOUT_EPOCHS) * epochLength;
            // forge-lint: disable-next-line(block-timestamp)
            if (block.timestamp < timeoutAt) revert EpochNotTimedOut(s.networkId, s.epoch, timeoutAt);
            if (
                s.deviceCount != 0 || s.qualifiedCount != 0 || s.totalReward != 0 || s.totalSlash != 0
                    || s.slashes.length != 0 || s.observationsCommitment != bytes32(0)
                    || s.observations.length != 0
            ) revert TimeoutNotEmpty(s.networkId, s.epoch);
            emit EpochTimedOut(s.networkId, s.epoch);
        } else {
            // The list operators are paid from must be the one the result was computed from (and voted on).
            bytes32 computed = _observationsHash(s.observations);
            if (computed != s.observationsCommitment) {
                revert ObservationsMismatch(s.observationsCommitment, computed);
            }
        }
        // A ceiling, not the emission: nodes compute the reward from `epochEmission(networkId, epoch)` read at the
        // epoch's end block, which is at most `budgetPerEpoch`. Threat: the network owner changing its halving
        // (or the registry's budget) between an epoch's end and its settlement. Checking the emission current at
        // settlement would then make the correct, agreed result revert forever and stall every later epoch; the
        // nodes' pinned read is what binds the reward to the schedule, this check only bounds a wrong root.
        if (s.totalReward > budgetPerEpoch) {
            revert RewardExceedsBudgetPerEpoch(s.totalReward, budgetPerEpoch);
        }
        if (s.totalReward > ledger.budget) {
            revert InsufficientBudget(s.networkId, s.totalReward, ledger.budget);
        }
        return (ledger.budget, budgetPerEpoch);
    }

    /// Splits an epoch's fee (already out of the budget): burned, operator share, treasury; the burn last.
    function _chargeFee(EpochSettlement memory s, uint256 feeDue, uint256 fee, uint256 gasAtEntry) internal {
        uint256 burned = fee * feeBurnBps / MAX_BPS;
        uint256 toOperators = fee * feeOperatorBps / MAX_BPS;
        uint256 toTreasury = fee - burned - toOperators;
        // Threat: the burner role revoked after `setFees` checked it (a role reshuffle for a new pool). The burn
        // would then revert every settlement of every network until a proposal restores it; the burn share goes
        // to the treasury instead (the event says what was really burned).
        if (burned != 0 && !_canBurn()) {
            toTreasury += burned;
            burned = 0;
        }
        emit FeeCharged(s.networkId, s.epoch, fee, burned, toOperators, toTreasury, feeDue - fee);
        if (toOperators != 0) toTreasury += _payOperators(s, toOperators, gasAtEntry);
        if (toTreasury != 0) treasuryAccrued += toTreasury;
        // VGL is Chainlink's BurnMintERC20: burns from this contract's balance, needs BURNER_ROLE (see `setFees`).
        if (burned != 0) IBurnMintERC20(address(i_token)).burn(burned);
    }

    /// Credits the operator share: the transmitter's gas first, the rest equally to the listed observers that are
    /// active signers. Returns what goes to the treasury instead (inactive observers' shares, the remainder).
    function _payOperators(EpochSettlement memory s, uint256 toOperators, uint256 gasAtEntry)
        internal
        returns (uint256 toTreasury)
    {
        address transmitter;
        uint256 reimbursement;
        uint256 rate = vglPerEth;
        uint256 maxPrice = maxGasPriceWei;
        // tx.origin only credits: it is the account that paid this transaction's gas, which the forwarder does not
        // pass on to `onReport`. It authorizes nothing: who may settle is `msg.sender == forwarder` and the
        // forwarder's f + 1 signatures. An origin that is not an active signer (a relayer) is paid nothing, and
        // the amount is measured gas at a capped price within the operator share, so a wrong credit costs the
        // observers at most that share.
        if (rate != 0 && maxPrice != 0 && i_registry.isActiveSigner(tx.origin)) {
            transmitter = tx.origin;
            // Threat: a transmitter that gets its priority fee back (a builder, a rebate) bidding at the cap. It is
            // reimbursed at most the base fee plus `MAX_PRIORITY_FEE_WEI`, never what it bid above that.
            uint256 price = tx.gasprice < maxPrice ? tx.gasprice : maxPrice;
            uint256 fair = block.basefee + MAX_PRIORITY_FEE_WEI;
            if (price > fair) price = fair;
            reimbursement = (gasAtEntry - gasleft() + TRANSMIT_GAS_OVERHEAD) * price * rate / 1e18;
            if (reimbursement > toOperators) reimbursement = toOperators;
            operatorEarnings[transmitter] += reimbursement;
        }
        uint256 rest = toOperators - reimbursement;
        ObservationRef[] memory observations = s.observations;
        bool[] memory active = new bool[](observations.length);
        uint256 paidObservers;
        for (uint256 i = 0; i < observations.length; ++i) {
            if (i_registry.isActiveSigner(observations[i].observer)) {
                active[i] = true;
                ++paidObservers;
            }
        }
        uint256 perObserver = paidObservers == 0 ? 0 : rest / paidObservers;
        if (perObserver != 0) {
            for (uint256 i = 0; i < observations.length; ++i) {
                if (active[i]) operatorEarnings[observations[i].observer] += perObserver;
            }
        }
        toTreasury = rest - perObserver * paidObservers;
        emit OperatorsPaid(s.networkId, s.epoch, transmitter, reimbursement, perObserver, paidObservers);
    }

    /// Applies a device slash at most once per (network, epoch, device) and once per evidence hash; what is taken
    /// from the stake refills the network's budget, so a cheating device's stake is paid out to the honest ones in
    /// later epochs. The evidence itself was verified by every DON node (the challenger's assignment included)
    /// before f + 1 of them signed the report; the contract cannot check Ed25519 bundles cheaply.
    function _applySlash(uint64 networkId, uint64 epoch, DeviceSlash memory slash) internal {
        // Threat: the same bundle delivered twice (a second execution, or kind 2 then the epoch's settlement).
        if (s_evidenceApplied[slash.evidenceHash]) {
            emit DeviceSlashSkipped(
                networkId, epoch, slash.deviceId, slash.evidenceHash, SlashSkipReason.EvidenceApplied
            );
            return;
        }
        // Threat: one cheat slashed many times over, through bundles of the same exchange re-signed with other
        // receive timestamps (each a new hash) or through evidence from each of its k challengers.
        if (s_slashed[networkId][epoch][slash.deviceId]) {
            emit DeviceSlashSkipped(
                networkId, epoch, slash.deviceId, slash.evidenceHash, SlashSkipReason.AlreadySlashed
            );
            return;
        }
        uint256 taken = i_registry.slashDevice(networkId, slash.deviceId, slash.amount);
        if (taken == 0) {
            emit DeviceSlashSkipped(
                networkId, epoch, slash.deviceId, slash.evidenceHash, SlashSkipReason.NothingTaken
            );
            return;
        }
        s_evidenceApplied[slash.evidenceHash] = true;
        s_slashed[networkId][epoch][slash.deviceId] = true;
        // taken <= a device stake, a uint128.
        // forge-lint: disable-next-line(unsafe-typecast)
        s_ledgers[networkId].budget += uint128(taken);
        emit DeviceSlashApplied(networkId, epoch, slash.deviceId, taken, slash.reason, slash.evidenceHash);
    }

    // ================================================================
    // Budget
    // ================================================================

    /// @inheritdoc IVigilSettlement
    function depositBudget(uint64 networkId, uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        (,, uint32 epochLength,) = i_registry.epochParams(networkId);
        if (epochLength == 0) revert UnknownNetwork(networkId);
        uint128 budget = SafeCast.toUint128(s_ledgers[networkId].budget + amount);
        s_ledgers[networkId].budget = budget;
        i_token.safeTransferFrom(msg.sender, address(this), amount);
        emit BudgetDeposited(networkId, msg.sender, amount, budget);
    }

    /// @inheritdoc IVigilSettlement
    function withdrawBudget(uint64 networkId, uint256 amount, address to) external {
        _onlyNetworkOwner(networkId);
        if (to == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        uint128 budget = s_ledgers[networkId].budget;
        if (amount > budget) revert InsufficientBudget(networkId, amount, budget);
        // amount <= budget, a uint128.
        // forge-lint: disable-next-line(unsafe-typecast)
        budget -= uint128(amount);
        s_ledgers[networkId].budget = budget;
        i_token.safeTransfer(to, amount);
        emit BudgetWithdrawn(networkId, to, amount, budget);
    }

    // ================================================================
    // Economics
    // ================================================================

    /// @inheritdoc IVigilSettlement
    function setEmissionHalving(uint64 networkId, uint32 halvingEpochs) external {
        _onlyNetworkOwner(networkId);
        emissionHalving[networkId] = halvingEpochs;
        emit EmissionHalvingSet(networkId, halvingEpochs);
    }

    /// @inheritdoc IVigilSettlement
    /// @dev Like the halving, it binds the epochs whose end block comes after it: nodes read it pinned there.
    function setUptimeSla(uint64 networkId, UptimeSla calldata sla) external {
        _onlyNetworkOwner(networkId);
        bool off = sla.windowEpochs == 0;
        if (
            (off && (sla.bonusThresholdBps | sla.bonusBps | sla.penaltyThresholdBps | sla.penaltyBps) != 0)
                || (!off && (sla.windowEpochs < 2 || sla.windowEpochs > 900))
                || sla.bonusThresholdBps > MAX_BPS || sla.bonusBps > MAX_BPS || sla.penaltyBps > MAX_BPS
                || sla.penaltyThresholdBps > sla.bonusThresholdBps
        ) revert InvalidUptimeSla(networkId);
        s_uptimeSla[networkId] = sla;
        emit UptimeSlaSet(networkId, sla);
    }

    /// @inheritdoc IVigilSettlement
    function uptimeSla(uint64 networkId) external view returns (UptimeSla memory) {
        return s_uptimeSla[networkId];
    }

    function _onlyNetworkOwner(uint64 networkId) internal view {
        (address networkOwner,, uint32 epochLength,) = i_registry.epochParams(networkId);
        if (epochLength == 0) revert UnknownNetwork(networkId);
        if (msg.sender != networkOwner) revert NotNetworkOwner(networkId, msg.sender);
    }

    /// @inheritdoc IVigilSettlement
    function epochEmission(uint64 networkId, uint64 epoch) external view returns (uint256) {
        (,,, uint128 budgetPerEpoch) = i_registry.epochParams(networkId);
        uint32 halvingEpochs = emissionHalving[networkId];
        if (halvingEpochs == 0) return budgetPerEpoch;
        uint256 halvings = epoch / halvingEpochs;
        return halvings > 255 ? 0 : uint256(budgetPerEpoch) >> halvings;
    }

    /// @inheritdoc IVigilSettlement
    /// @dev Paused with `onReport`: the earnings come from the DON's word, like claims.
    function withdrawOperatorEarnings(address to) external nonReentrant whenNotPaused {
        if (to == address(0)) revert ZeroAddress();
        uint256 amount = operatorEarnings[msg.sender];
        if (amount == 0) revert NoOperatorEarnings(msg.sender);
        operatorEarnings[msg.sender] = 0;
        i_token.safeTransfer(to, amount);
        emit OperatorEarningsWithdrawn(msg.sender, to, amount);
    }

    /// @inheritdoc IVigilSettlement
    function sweepTreasury() external nonReentrant {
        uint256 amount = treasuryAccrued;
        if (amount == 0) revert ZeroAmount();
        treasuryAccrued = 0;
        address to = treasury;
        i_token.safeTransfer(to, amount);
        emit TreasurySwept(to, amount);
    }

    // ================================================================
    // Claims
    // ================================================================

    /// @inheritdoc IVigilSettlement
    function claim(uint64 networkId, uint64 epoch, DeviceLine calldata line, bytes32[] calldata proof)
        external
        nonReentrant
        whenNotPaused
    {
        // Owner only. A line pays once, so a third party's claim (even one that pays the owner) would spend the
        // owner's choice of how to be paid: a griefer could claim every line home as soon as it settles and
        // leave no `claimAndCall` to bridge with. A relay window or an owner signature would keep gasless relays,
        // at the cost of a parameter or a signature scheme; the owner's own transaction is the simple rule.
        if (msg.sender != line.owner) revert NotLineOwner(line.owner, msg.sender);
        uint256 amount = _claim(networkId, epoch, line, proof, line.owner);
        i_token.safeTransfer(line.owner, amount);
    }

    /// @inheritdoc IVigilSettlement
    function claimTo(
        uint64 networkId,
        uint64 epoch,
        DeviceLine calldata line,
        bytes32[] calldata proof,
        address receiver
    ) external nonReentrant whenNotPaused {
        if (msg.sender != line.owner) revert NotLineOwner(line.owner, msg.sender);
        if (receiver == address(0)) revert ZeroAddress();
        uint256 amount = _claim(networkId, epoch, line, proof, receiver);
        i_token.safeTransfer(receiver, amount);
    }

    /// @inheritdoc IVigilSettlement
    function claimAndCall(
        uint64 networkId,
        uint64 epoch,
        DeviceLine calldata line,
        bytes32[] calldata proof,
        address hook,
        bytes calldata data
    ) external nonReentrant whenNotPaused returns (bytes32 ref) {
        if (msg.sender != line.owner) revert NotLineOwner(line.owner, msg.sender);
        if (hook == address(0)) revert ZeroAddress();
        uint256 amount = _claim(networkId, epoch, line, proof, hook);
        i_token.safeTransfer(hook, amount);
        ref = IClaimHook(hook).onVigilClaim(line.owner, amount, data);
        emit ClaimHookCalled(hook, ref);
    }

    /// Checks and records a claim (effects before the caller's transfer); returns the amount to pay.
    function _claim(
        uint64 networkId,
        uint64 epoch,
        DeviceLine calldata line,
        bytes32[] calldata proof,
        address receiver
    ) internal returns (uint256 amount) {
        if (line.networkId != networkId || line.epoch != epoch) {
            revert LineMismatch(line.networkId, line.epoch);
        }
        EpochResult storage result = s_results[networkId][epoch];
        bytes32 root = result.resultRoot;
        // A settled empty epoch has a zero root too; no line can be proven against it either way.
        if (root == bytes32(0)) revert EpochNotSettled(networkId, epoch);
        amount = line.reward;
        if (amount == 0) revert NothingToClaim(networkId, epoch, line.deviceId);
        (bytes32 wordKey, uint256 bit) = _claimBit(networkId, epoch, line.deviceId);
        uint256 word = s_claimedEpochs[wordKey];
        if (word & bit != 0) revert AlreadyClaimed(networkId, epoch, line.deviceId);
        if (!MerkleProof.verifyCalldata(proof, root, _lineLeaf(line))) {
            revert InvalidProof(networkId, epoch, line.deviceId);
        }
        _checkProbation(networkId, epoch, line.deviceId);
        s_claimedEpochs[wordKey] = word | bit;
        // Defence in depth: even a wrong root signed by the DON cannot pay out more than the epoch funded.
        uint256 claimed = uint256(result.claimed) + amount;
        if (claimed > result.totalReward) revert ClaimExceedsFunded(claimed, result.totalReward);
        // claimed <= totalReward, a uint128.
        // forge-lint: disable-next-line(unsafe-typecast)
        result.claimed = uint128(claimed);
        emit Claimed(networkId, epoch, line.deviceId, line.owner, receiver, amount);
    }

    // ================================================================
    // Oracle slashing
    // ================================================================

    /// @inheritdoc IVigilSettlement
    function commitEquivocation(bytes32 commitment) external {
        // The first block is kept: a copy of someone's commit (same value, later block) must not push its
        // reveal back. Repeating a commit is harmless, so it is not an error (a re-sent transaction).
        if (s_equivocationCommits[commitment] != 0) return;
        s_equivocationCommits[commitment] = block.number;
        emit EquivocationCommitted(commitment, msg.sender, block.number);
    }

    /// @inheritdoc IVigilSettlement
    function slashEquivocation(
        ResultVote calldata voteA,
        bytes calldata signatureA,
        ResultVote calldata voteB,
        bytes calldata signatureB,
        bytes32 salt
    ) external nonReentrant {
        // The evidence is checked before the commitment, so a reporter can simulate this call before committing:
        // `NoCommitment` then means the evidence itself holds.
        if (
            voteA.networkId != voteB.networkId || voteA.epoch != voteB.epoch
                || (voteA.resultRoot == voteB.resultRoot
                    && voteA.observationsCommitment == voteB.observationsCommitment)
        ) revert VotesNotConflicting();
        address signerA = ECDSA.recover(resultVoteDigest(voteA), signatureA);
        address signerB = ECDSA.recover(resultVoteDigest(voteB), signatureB);
        if (signerA != signerB) revert SignerMismatch(signerA, signerB);

        // Threat: a mempool watcher copying the reporter's transaction to take `reporterRewardBps` of the stake.
        // - A copier of this reveal has no commitment of its own in an earlier block: the commitment names
        //   msg.sender, so the reporter's does not match the copier's address (`NoCommitment`), and one the
        //   copier makes after seeing the reveal lands in the reveal's block at the earliest
        //   (`CommitmentTooRecent`) while the reporter's reveal is already in it.
        // - A copier of the commit learns nothing (the salt hides the evidence) and cannot use it: it is bound to
        //   the reporter's address; committing the same value again keeps the first block.
        // - The one block between commit and reveal is negligible against the offender's escape route, the
        //   registry's unbonding delay (`VigilRegistry.MIN_UNBONDING_DELAY`, 1 day, for any delay governance
        //   sets; deployments use 7 days), which must exceed it. A reveal left pending for more than a block
        //   gives a copier time to commit and reveal too: reporters reveal as soon as a later block exists.
        bytes32 commitment = _equivocationCommitment(msg.sender, signatureA, signatureB, salt);
        uint256 committedAt = s_equivocationCommits[commitment];
        if (committedAt == 0) revert NoCommitment(msg.sender, commitment);
        if (committedAt >= block.number) revert CommitmentTooRecent(commitment, committedAt, block.number);
        delete s_equivocationCommits[commitment];

        uint256 amount = i_registry.slashOperator(signerA);
        if (amount == 0) revert NothingToSlash(signerA);
        // Threat: an equivocating signer keeping the fee shares it earned by signing results. What it has not
        // withdrawn goes to the treasury with its stake (what it withdrew before the evidence landed is gone: the
        // stake, held through the unbonding delay, is the bond that answers for it).
        uint256 forfeited = operatorEarnings[signerA];
        if (forfeited != 0) {
            delete operatorEarnings[signerA];
            treasuryAccrued += forfeited;
            emit OperatorEarningsForfeited(signerA, forfeited);
        }
        uint256 reporterReward = amount * reporterRewardBps / MAX_BPS;
        if (reporterReward > 0) i_token.safeTransfer(msg.sender, reporterReward);
        if (amount > reporterReward) i_token.safeTransfer(treasury, amount - reporterReward);
        emit OracleSlashed(signerA, voteA.networkId, voteA.epoch, amount, msg.sender, reporterReward);
    }

    // ================================================================
    // Views
    // ================================================================

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IReceiver).interfaceId || interfaceId == type(IERC165).interfaceId;
    }

    /// @inheritdoc IVigilSettlement
    function equivocationCommitment(
        address reporter,
        bytes calldata signatureA,
        bytes calldata signatureB,
        bytes32 salt
    ) external pure returns (bytes32) {
        return _equivocationCommitment(reporter, signatureA, signatureB, salt);
    }

    /// @inheritdoc IVigilSettlement
    function equivocationCommittedAt(bytes32 commitment) external view returns (uint256) {
        return s_equivocationCommits[commitment];
    }

    /// @inheritdoc IVigilSettlement
    function resultVoteDigest(ResultVote calldata vote) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    RESULT_VOTE_TYPEHASH,
                    vote.networkId,
                    vote.epoch,
                    vote.resultRoot,
                    vote.observationsCommitment
                )
            )
        );
    }

    function latestEpoch(uint64 networkId) external view returns (uint64) {
        uint64 next = s_ledgers[networkId].nextEpoch;
        if (next == 0) revert NoEpochSettled(networkId);
        return next - 1;
    }

    function epochResult(uint64 networkId, uint64 epoch) external view returns (EpochResult memory result) {
        result = s_results[networkId][epoch];
        if (result.settledAt == 0) revert EpochNotSettled(networkId, epoch);
    }

    function verifyLine(uint64 networkId, uint64 epoch, DeviceLine calldata line, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        if (line.networkId != networkId || line.epoch != epoch) return false;
        bytes32 root = s_results[networkId][epoch].resultRoot;
        if (root == bytes32(0)) return false;
        return MerkleProof.verifyCalldata(proof, root, _lineLeaf(line));
    }

    function lineLeaf(DeviceLine calldata line) external pure returns (bytes32) {
        return _lineLeaf(line);
    }

    function registry() external view returns (address) {
        return address(i_registry);
    }

    function token() external view returns (address) {
        return address(i_token);
    }

    function workflow(uint8 kind) external view returns (Workflow memory) {
        return s_workflows[kind];
    }

    function budgetOf(uint64 networkId) external view returns (uint256) {
        return s_ledgers[networkId].budget;
    }

    function nextEpoch(uint64 networkId) external view returns (uint64) {
        return s_ledgers[networkId].nextEpoch;
    }

    function beacon(uint64 networkId) external view returns (bytes32) {
        return _beacon(networkId);
    }

    function isClaimed(uint64 networkId, uint64 epoch, bytes32 deviceId) external view returns (bool) {
        (bytes32 wordKey, uint256 bit) = _claimBit(networkId, epoch, deviceId);
        return s_claimedEpochs[wordKey] & bit != 0;
    }

    function isEvidenceApplied(bytes32 evidenceHash) external view returns (bool) {
        return s_evidenceApplied[evidenceHash];
    }

    function settlementTimedOut(uint64 networkId) external view returns (bool) {
        (, uint64 genesisTime, uint32 epochLength,) = i_registry.epochParams(networkId);
        if (epochLength == 0) return false;
        uint256 timeoutAt = uint256(genesisTime)
            + (uint256(s_ledgers[networkId].nextEpoch) + 1 + SETTLEMENT_TIMEOUT_EPOCHS) * epochLength;
        // forge-lint: disable-next-line(block-timestamp)
        return block.timestamp >= timeoutAt;
    }

    function isSlashed(uint64 networkId, uint64 epoch, bytes32 deviceId) external view returns (bool) {
        return s_slashed[networkId][epoch][deviceId];
    }

    // ================================================================
    // Internal
    // ================================================================

    /// `keccak256(abi.encode(reporter, keccak256(signatureA), keccak256(signatureB), salt))`: binds the reporter
    /// (who alone can use it) and the evidence, and hides the evidence behind the salt until the reveal.
    function _equivocationCommitment(
        address reporter,
        bytes calldata signatureA,
        bytes calldata signatureB,
        bytes32 salt
    ) internal pure returns (bytes32) {
        return keccak256(abi.encode(reporter, keccak256(signatureA), keccak256(signatureB), salt));
    }

    /// `keccak256(abi.encodePacked(observer_0, hash_0, observer_1, hash_1, ...))` (20 + 32 bytes per entry) over a
    /// list strictly ascending by observer: what the nodes' `observationsCommitment` computes (observers sorted by
    /// lowercase hex, the same order as by address value). Strictly ascending also rules out duplicates.
    function _observationsHash(ObservationRef[] memory observations) internal pure returns (bytes32 h) {
        uint256 n = observations.length;
        bytes memory packed = new bytes(n * 52);
        address previous;
        for (uint256 i = 0; i < n; ++i) {
            address observer = observations[i].observer;
            if (i != 0 && observer <= previous) revert ObservationsNotAscending(i, observer);
            previous = observer;
            bytes32 hash = observations[i].hash;
            assembly ("memory-safe") {
                let p := add(add(packed, 0x20), mul(i, 52))
                mstore(p, shl(96, observer))
                mstore(add(p, 20), hash)
            }
        }
        h = keccak256(packed);
    }

    /// Whether VGL lets this contract burn its own balance (`BurnMintERC20.burn` wants `BURNER_ROLE`).
    /// Probation (the registry's `probation`): a new device's first epochs are escrowed until the epoch after them has
    /// settled, and forfeited by a slash.
    function _checkProbation(uint64 networkId, uint64 epoch, bytes32 deviceId) internal view {
        (uint64 releaseEpoch, bool slashed) = i_registry.probation(deviceId);
        if (epoch < releaseEpoch) {
            if (slashed) revert RewardForfeited(networkId, epoch, deviceId);
            // Until epoch `releaseEpoch` itself has settled: fraud evidence for the last probation epoch is admissible
            // (kind 2) through the wall-clock epoch after it, which must be over first.
            if (s_ledgers[networkId].nextEpoch <= releaseEpoch) {
                revert InProbation(networkId, deviceId, releaseEpoch);
            }
        }
    }

    function _canBurn() internal view returns (bool) {
        return IAccessControl(address(i_token)).hasRole(BURNER_ROLE, address(this));
    }

    function _beacon(uint64 networkId) internal view returns (bytes32 b) {
        b = s_beacons[networkId];
        if (b == bytes32(0)) b = keccak256(abi.encode("vigil.beacon", networkId));
    }

    /// The leaf `StandardMerkleTree` builds: keccak256 of keccak256 of the ABI-encoded line (a static struct
    /// encodes exactly as its fields in order).
    function _lineLeaf(DeviceLine calldata line) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(line))));
    }

    function _claimBit(uint64 networkId, uint64 epoch, bytes32 deviceId)
        internal
        pure
        returns (bytes32 wordKey, uint256 bit)
    {
        wordKey = keccak256(abi.encode(networkId, deviceId, epoch >> 8));
        // one bit per epoch: 1 shifted left by the epoch's position in its 256-epoch word.
        // forge-lint: disable-next-line(incorrect-shift)
        bit = 1 << (epoch & 0xff);
    }
}
