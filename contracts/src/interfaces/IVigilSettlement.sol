// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IVigilFeed} from "./IVigilFeed.sol";
import {IReceiver} from "@chainlink/contracts/src/v0.8/keystone/interfaces/IReceiver.sol";

/// @title IVigilSettlement
/// @notice Settles epochs of DePIN networks from CRE reports delivered by Chainlink's `KeystoneForwarder`,
/// holds each network's reward budget, pays device rewards against Merkle proofs, and slashes devices
/// (from reports) and equivocating oracles (from two conflicting EIP-712 `ResultVote`s).
/// Report body: `abi.encode(uint8 kind, bytes payload)`, kind 1 `abi.encode(EpochSettlement)`, kind 2
/// `abi.encode(uint64 networkId, uint64 epoch, DeviceSlash slash)` (docs/interfaces.md). A device is slashed at
/// most once per (network, epoch), across both kinds; a kind 2 report applies only for the current epoch or the
/// one just before it.
interface IVigilSettlement is IVigilFeed, IReceiver {
    /// @notice A device slash with the hash of the evidence bundle that proves the fraud.
    struct DeviceSlash {
        bytes32 deviceId;
        uint256 amount;
        uint8 reason;
        bytes32 evidenceHash;
    }

    /// @notice Payload of a kind 1 report.
    struct EpochSettlement {
        uint64 networkId;
        uint64 epoch;
        bytes32 resultRoot;
        bytes32 observationsCommitment;
        uint32 deviceCount;
        /// Devices that qualified (verified work, no slash: `weight > 0` in the reward formula); the fee basis.
        uint32 qualifiedCount;
        uint256 totalReward;
        uint256 totalSlash;
        DeviceSlash[] slashes;
        /// The observations the result was computed from, strictly ascending by observer; they must hash to
        /// `observationsCommitment`. Empty for a timeout (zero root).
        ObservationRef[] observations;
    }

    /// @notice One observation used in an epoch result: its observer (an oracle signer) and the hash of its
    /// signed bytes. `observationsCommitment = keccak256(abi.encodePacked(observer_0, hash_0, observer_1, ...))`.
    struct ObservationRef {
        address observer;
        bytes32 hash;
    }

    /// @notice A network's uptime SLA (docs/interfaces.md, "Uptime SLA"), applied by the nodes' result function over
    /// the device's uptime across the epoch and the `windowEpochs - 1` latest epochs settled before it. At or above
    /// `bonusThresholdBps` over a full window, a device earns its share of the bonus pool (`bonusBps` of the epoch's
    /// emission); below `penaltyThresholdBps`, its base reward is cut by `penaltyBps`. `windowEpochs = 0`: no SLA.
    struct UptimeSla {
        uint32 windowEpochs;
        uint16 bonusThresholdBps;
        uint16 bonusBps;
        uint16 penaltyThresholdBps;
        uint16 penaltyBps;
    }

    /// @notice An oracle node's EIP-712 vote for an epoch result
    /// (`ResultVote(uint64 networkId,uint64 epoch,bytes32 resultRoot,bytes32 observationsCommitment)`,
    /// domain name "Vigil", version "1", this contract as verifying contract).
    struct ResultVote {
        uint64 networkId;
        uint64 epoch;
        bytes32 resultRoot;
        bytes32 observationsCommitment;
    }

    /// @notice Why a delivered slash was not applied. Skipping, not reverting, keeps the reason on chain: the
    /// forwarder swallows a receiver's revert (it records only `success = false`), and a report that can never
    /// apply should not look like a delivery worth retrying.
    enum SlashSkipReason {
        /// The device was already slashed for this (network, epoch): at most one slash per device and epoch,
        /// whichever evidence, kind 1 or kind 2, came first.
        AlreadySlashed,
        /// This evidence bundle (`evidenceHash`) was applied before.
        EvidenceApplied,
        /// The registry took nothing: unknown device, a device of another network, or no stake left.
        NothingTaken,
        /// A kind 2 report for an epoch that is neither the current one nor the one just before it (at
        /// `block.timestamp`, from the registry's `genesisTime` and `epochLength`).
        EpochNotAdmissible
    }

    /// @notice The workflow allowed to send reports of one kind.
    struct Workflow {
        address owner;
        bytes10 name;
    }

    event EpochSettled(
        uint64 indexed networkId,
        uint64 indexed epoch,
        bytes32 resultRoot,
        bytes32 observationsCommitment,
        uint32 deviceCount,
        uint256 totalReward,
        uint256 totalSlash,
        bytes32 nextBeacon
    );
    /// @notice An epoch nobody certified settled empty (zero root) after its timeout, so later epochs can settle.
    event EpochTimedOut(uint64 indexed networkId, uint64 indexed epoch);
    event DeviceSlashApplied(
        uint64 indexed networkId,
        uint64 indexed epoch,
        bytes32 indexed deviceId,
        uint256 amount,
        uint8 reason,
        bytes32 evidenceHash
    );
    /// @notice A slash that was delivered but not applied (the report itself succeeds; see `SlashSkipReason`).
    event DeviceSlashSkipped(
        uint64 indexed networkId,
        uint64 indexed epoch,
        bytes32 indexed deviceId,
        bytes32 evidenceHash,
        SlashSkipReason reason
    );
    event OracleSlashed(
        address indexed signer,
        uint64 indexed networkId,
        uint64 indexed epoch,
        uint256 amount,
        address reporter,
        uint256 reporterReward
    );
    /// @notice The first commitment of equivocation evidence `commitment`, in block `blockNumber` (see
    /// `commitEquivocation`). `committer` is informative only: the commitment itself names its reporter.
    event EquivocationCommitted(bytes32 indexed commitment, address indexed committer, uint256 blockNumber);
    event Claimed(
        uint64 indexed networkId,
        uint64 indexed epoch,
        bytes32 indexed deviceId,
        address owner,
        address receiver,
        uint256 amount
    );
    event ClaimHookCalled(address indexed hook, bytes32 ref);
    event BudgetDeposited(uint64 indexed networkId, address indexed from, uint256 amount, uint256 budget);
    event BudgetWithdrawn(uint64 indexed networkId, address indexed to, uint256 amount, uint256 budget);
    event WorkflowSet(uint8 indexed kind, address owner, bytes10 name);
    event ForwarderSet(address indexed forwarder);
    event TreasurySet(address indexed treasury);
    event ReporterRewardBpsSet(uint16 bps);
    /// @notice A network's emission schedule: the per-epoch emission halves every `halvingEpochs` epochs (0: flat).
    event EmissionHalvingSet(uint64 indexed networkId, uint32 halvingEpochs);
    event UptimeSlaSet(uint64 indexed networkId, UptimeSla sla);
    event FeesSet(uint128 feePerDeviceEpoch, uint16 burnBps, uint16 operatorBps);
    event GasReimbursementSet(uint128 vglPerEth, uint64 maxGasPriceWei);
    /// @notice The verification fee of a settled epoch, taken from the network's budget. `shortfall` is what the
    /// budget could not pay (`feePerDeviceEpoch * deviceCount - fee`); it is waived, never owed.
    event FeeCharged(
        uint64 indexed networkId,
        uint64 indexed epoch,
        uint256 fee,
        uint256 burned,
        uint256 toOperators,
        uint256 toTreasury,
        uint256 shortfall
    );
    /// @notice The operator share of an epoch's fee: `reimbursement` to the transmitter (zero address when it is
    /// not an active signer), then `perObserver` to each of the `paidObservers` active observers listed.
    event OperatorsPaid(
        uint64 indexed networkId,
        uint64 indexed epoch,
        address indexed transmitter,
        uint256 reimbursement,
        uint256 perObserver,
        uint256 paidObservers
    );
    event OperatorEarningsWithdrawn(address indexed signer, address indexed to, uint256 amount);
    /// @notice An equivocating signer's unwithdrawn fee shares, moved to the treasury when it is slashed.
    event OperatorEarningsForfeited(address indexed signer, uint256 amount);
    event TreasurySwept(address indexed treasury, uint256 amount);

    error UnauthorizedForwarder(address caller);
    error UnauthorizedWorkflow(uint8 kind, address owner, bytes10 name);
    error UnknownReportKind(uint8 kind);
    error InvalidMetadata(uint256 length);
    error UnknownNetwork(uint64 networkId);
    error EpochOutOfOrder(uint64 networkId, uint64 epoch, uint64 expected);
    error EpochNotOver(uint64 networkId, uint64 epoch, uint256 endsAt);
    /// @notice A timeout settlement (zero root) before `SETTLEMENT_TIMEOUT_EPOCHS` epochs past the epoch's end.
    error EpochNotTimedOut(uint64 networkId, uint64 epoch, uint256 timeoutAt);
    /// @notice A timeout settlement (zero root) that pays, slashes, counts devices or commits to observations.
    error TimeoutNotEmpty(uint64 networkId, uint64 epoch);
    error RewardExceedsBudgetPerEpoch(uint256 totalReward, uint256 rewardBudgetPerEpoch);
    error InsufficientBudget(uint64 networkId, uint256 needed, uint256 available);
    error LineMismatch(uint64 networkId, uint64 epoch);
    error InvalidProof(uint64 networkId, uint64 epoch, bytes32 deviceId);
    error AlreadyClaimed(uint64 networkId, uint64 epoch, bytes32 deviceId);
    error NothingToClaim(uint64 networkId, uint64 epoch, bytes32 deviceId);
    error ClaimExceedsFunded(uint256 claimed, uint256 funded);
    error NotLineOwner(address owner, address caller);
    error ZeroAddress();
    error ZeroAmount();
    error NotNetworkOwner(uint64 networkId, address caller);
    error VotesNotConflicting();
    error SignerMismatch(address signerA, address signerB);
    error NothingToSlash(address signer);
    /// @notice `slashEquivocation` by `reporter` without a prior `commitEquivocation` of `commitment`.
    error NoCommitment(address reporter, bytes32 commitment);
    /// @notice `slashEquivocation` in the block of its commitment (`committedAt`) or earlier; reveal in a later one.
    error CommitmentTooRecent(bytes32 commitment, uint256 committedAt, uint256 blockNumber);
    error InvalidBps(uint256 bps);
    error InvalidUptimeSla(uint64 networkId);
    /// @notice The device's reward for this epoch is escrowed until epoch `releaseEpoch` has settled.
    error InProbation(uint64 networkId, bytes32 deviceId, uint64 releaseEpoch);
    /// @notice The device was slashed: its escrowed (probation) rewards are never paid.
    error RewardForfeited(uint64 networkId, uint64 epoch, bytes32 deviceId);
    /// @notice `setFees` with `burnBps + operatorBps` above 10,000.
    error InvalidFeeSplit(uint256 burnBps, uint256 operatorBps);
    /// @notice `setFees` with a burn share while this contract cannot burn the token (no `BURNER_ROLE`): every
    /// settlement would revert on the burn.
    error CannotBurn(address token);
    /// @notice The observation list is not strictly ascending by observer at `index` (unsorted or duplicate).
    error ObservationsNotAscending(uint256 index, address observer);
    /// @notice The observation list does not hash to the settlement's `observationsCommitment`.
    error ObservationsMismatch(bytes32 commitment, bytes32 computed);
    error NoOperatorEarnings(address signer);

    // Reports arrive through `IReceiver.onReport(metadata, report)`, called by the forwarder only; `metadata`
    // is the forwarder's `workflow_cid(32) | workflow_name(10) | workflow_owner(20) | report_id(2)`.

    // ----- budget -----

    /// @notice Adds reward tokens to a network's budget (anyone may pay; needs an allowance).
    function depositBudget(uint64 networkId, uint256 amount) external;

    /// @notice Takes unspent budget back. Network owner only.
    function withdrawBudget(uint64 networkId, uint256 amount, address to) external;

    // ----- claims -----

    /// @notice Pays a line's reward to its owner. Line owner only: each (network, epoch, device) pays once, so a
    /// claim by anyone else would spend the owner's choice of path (home, `claimTo`, `claimAndCall` to bridge).
    function claim(uint64 networkId, uint64 epoch, DeviceLine calldata line, bytes32[] calldata proof)
        external;

    /// @notice Pays a line's reward to `receiver`. Line owner only.
    function claimTo(
        uint64 networkId,
        uint64 epoch,
        DeviceLine calldata line,
        bytes32[] calldata proof,
        address receiver
    ) external;

    /// @notice Claims a line, transfers the reward to `hook` and calls `IClaimHook.onVigilClaim` in the same
    /// transaction. Line owner only. Returns the hook's reference.
    function claimAndCall(
        uint64 networkId,
        uint64 epoch,
        DeviceLine calldata line,
        bytes32[] calldata proof,
        address hook,
        bytes calldata data
    ) external returns (bytes32 ref);

    // ----- economics -----

    /// @notice Sets the emission schedule of a network (network owner only): see `epochEmission`.
    function setEmissionHalving(uint64 networkId, uint32 halvingEpochs) external;

    /// @notice Sets the uptime SLA of a network (network owner only). Reverts `InvalidUptimeSla` unless
    /// `windowEpochs` is 0 (off, every other field 0) or 2..900 (within a node's default store retention of 1000), every bps
    /// field at most 10000 and `penaltyThresholdBps <= bonusThresholdBps`.
    function setUptimeSla(uint64 networkId, UptimeSla calldata sla) external;

    /// @notice Pays the caller's (an oracle signer's) accrued operator earnings to `to`.
    function withdrawOperatorEarnings(address to) external;

    /// @notice Sends the accrued treasury share of fees to `treasury`. Anyone may call.
    function sweepTreasury() external;

    // ----- oracle slashing -----

    /// @notice First step of reporting an equivocation: records the block of the first commit of `commitment`
    /// (a repeated commit of the same value keeps the first block). `commitment` must be
    /// `equivocationCommitment(reporter, signatureA, signatureB, salt)`, that is
    /// `keccak256(abi.encode(reporter, keccak256(signatureA), keccak256(signatureB), salt))`, with `reporter`
    /// the account that will call `slashEquivocation` and `salt` a secret random value. Anyone may commit.
    function commitEquivocation(bytes32 commitment) external;

    /// @notice Slashes the whole stake of the registered oracle signer that signed two different votes for one
    /// (network, epoch); `reporterRewardBps` of it goes to the caller, the rest to the treasury. The caller must
    /// have committed `equivocationCommitment(msg.sender, signatureA, signatureB, salt)` with
    /// `commitEquivocation` in an earlier block (`NoCommitment`, `CommitmentTooRecent`), so that a copy of this
    /// transaction seen in the mempool cannot take the reward.
    function slashEquivocation(
        ResultVote calldata voteA,
        bytes calldata signatureA,
        ResultVote calldata voteB,
        bytes calldata signatureB,
        bytes32 salt
    ) external;

    // ----- views -----

    function registry() external view returns (address);
    function token() external view returns (address);
    function forwarder() external view returns (address);
    function treasury() external view returns (address);
    function reporterRewardBps() external view returns (uint16);
    function workflow(uint8 kind) external view returns (Workflow memory);
    /// @notice Unspent reward budget of a network.
    function budgetOf(uint64 networkId) external view returns (uint256);
    /// @notice The next epoch of a network that can be settled.
    function nextEpoch(uint64 networkId) external view returns (uint64);
    /// @notice Whether `nextEpoch` may now settle as a timeout: `SETTLEMENT_TIMEOUT_EPOCHS` epochs past its end.
    function settlementTimedOut(uint64 networkId) external view returns (bool);
    /// @notice The beacon of the next epoch to settle (docs/interfaces.md, "Beacon and assignment").
    function beacon(uint64 networkId) external view returns (bytes32);
    function isClaimed(uint64 networkId, uint64 epoch, bytes32 deviceId) external view returns (bool);
    /// @notice Whether a slash with this evidence hash was applied.
    function isEvidenceApplied(bytes32 evidenceHash) external view returns (bool);
    /// @notice Whether the device was slashed for this epoch (by a kind 1 settlement or a kind 2 report).
    function isSlashed(uint64 networkId, uint64 epoch, bytes32 deviceId) external view returns (bool);
    /// @notice The commitment `reporter` makes with `commitEquivocation` before revealing the evidence:
    /// `keccak256(abi.encode(reporter, keccak256(signatureA), keccak256(signatureB), salt))`.
    function equivocationCommitment(
        address reporter,
        bytes calldata signatureA,
        bytes calldata signatureB,
        bytes32 salt
    ) external pure returns (bytes32);
    /// @notice Block of the first `commitEquivocation` of `commitment`; zero if never committed (or used).
    function equivocationCommittedAt(bytes32 commitment) external view returns (uint256);
    /// @notice The emission of `epoch`: `rewardBudgetPerEpoch >> (epoch / halvingEpochs)` (0 past 255 halvings),
    /// or `rewardBudgetPerEpoch` when the network set no halving. Nodes read it at the epoch's end block.
    function epochEmission(uint64 networkId, uint64 epoch) external view returns (uint256);
    /// @notice A network's uptime SLA; all zero when it set none. Nodes read it at the epoch's end block.
    function uptimeSla(uint64 networkId) external view returns (UptimeSla memory);
    /// @notice Epochs between two halvings of a network's emission; 0: flat.
    function emissionHalving(uint64 networkId) external view returns (uint32);
    /// @notice VGL (wei) charged per verified device-epoch; 0: no fee.
    function feePerDeviceEpoch() external view returns (uint128);
    /// @notice Share of the fee burned, in basis points.
    function feeBurnBps() external view returns (uint16);
    /// @notice Share of the fee paid to operators (transmitter reimbursement, then observers), in basis points.
    function feeOperatorBps() external view returns (uint16);
    /// @notice VGL (wei) per ETH used to reimburse the transmitter's gas; 0: no reimbursement.
    function vglPerEth() external view returns (uint128);
    /// @notice Cap on the gas price (wei) a reimbursement is computed with.
    function maxGasPriceWei() external view returns (uint64);
    /// @notice Accrued, unpaid VGL of an oracle signer.
    function operatorEarnings(address signer) external view returns (uint256);
    /// @notice Accrued treasury share of fees, not yet swept.
    function treasuryAccrued() external view returns (uint256);
    /// @notice The EIP-712 digest a node signs for `vote`.
    function resultVoteDigest(ResultVote calldata vote) external view returns (bytes32);
    /// @notice The Merkle leaf of a line (double keccak of its ABI encoding, as `StandardMerkleTree`).
    function lineLeaf(DeviceLine calldata line) external pure returns (bytes32);
}
