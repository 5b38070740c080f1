// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IVigilRegistry
/// @notice DePIN networks, their devices and the oracle operators, with stakes held in the reward token.
/// Stakes leave only through an unbonding delay, during which they stay slashable by the settlement
/// contract. Every state change emits an event so a node or indexer can follow the registry from logs;
/// paged views let it list a network's devices and all operators in a few calls.
interface IVigilRegistry {
    /// @notice Lifecycle of a device or an operator.
    enum Status {
        None,
        Active,
        /// Exit requested; stake is still slashable until `exitAvailableAt`.
        Exiting,
        /// Stake withdrawn.
        Exited
    }

    /// @notice Parameters of a network that its owner chooses.
    struct NetworkParams {
        /// Reward tokens paid to the network's devices per epoch (the `B` of the reward formula).
        uint128 rewardBudgetPerEpoch;
        /// Stake each device must lock to register.
        uint128 stakePerDevice;
        /// Seconds per epoch, > 0. Fixed at registration.
        uint32 epochLength;
        /// Start of epoch 0 (unix seconds); 0 means the registration block's timestamp. Fixed at registration.
        uint64 genesisTime;
        /// Which challenge policy the oracle nodes apply (interpreted off chain).
        uint32 challengePolicyId;
        /// Oracle nodes that observe each device, > 0.
        uint8 k;
    }

    struct Network {
        address owner;
        uint32 epochLength;
        uint64 genesisTime;
        uint128 rewardBudgetPerEpoch;
        uint128 stakePerDevice;
        uint32 challengePolicyId;
        uint8 k;
        /// Devices ever registered (the length of the paged device list).
        uint32 deviceCount;
    }

    struct Device {
        /// Raw 32-byte Ed25519 public key.
        bytes32 deviceId;
        uint64 networkId;
        Status status;
        /// Unix seconds after which an exiting device's stake can be withdrawn.
        uint64 exitAvailableAt;
        /// Receives rewards and the stake on exit.
        address owner;
        /// Stake still locked.
        uint128 stake;
        /// Stake taken by slashes so far.
        uint128 slashed;
        uint64 registeredAt;
    }

    /// @notice The data a device must hold, as its network's storage client registered it: the root of a
    /// positional keccak Merkle tree over `chunks` chunks of `chunkBytes` bytes (leaf i =
    /// keccak256("vigil.storage.leaf" || uint32 i || chunk), docs/attestation.md). Oracle nodes judge the
    /// device's storage challenges against this, never against what the device says it stores.
    struct StorageTarget {
        bytes32 root;
        uint32 chunks;
        uint32 chunkBytes;
    }

    struct Operator {
        /// Ethereum address the node signs results and CRE reports with (a forwarder signer).
        address signer;
        Status status;
        uint64 exitAvailableAt;
        /// The address that registered the operator and receives its stake on exit.
        address owner;
        uint128 stake;
        uint128 slashed;
        /// The node's libp2p peer id (multihash bytes of its Ed25519 key).
        bytes peerId;
    }

    event NetworkRegistered(uint64 indexed networkId, address indexed owner, NetworkParams params);
    event NetworkUpdated(
        uint64 indexed networkId,
        uint128 rewardBudgetPerEpoch,
        uint128 stakePerDevice,
        uint32 challengePolicyId,
        uint8 k
    );
    /// @notice A network's probation: rewards of a device's first `epochs` epochs are escrowed (see `probation`).
    event ProbationEpochsSet(uint64 indexed networkId, uint32 epochs);
    event NetworkOwnerTransferred(
        uint64 indexed networkId, address indexed previousOwner, address indexed newOwner
    );
    event DeviceRegistered(
        uint64 indexed networkId, bytes32 indexed deviceId, address indexed owner, uint128 stake
    );
    event DeviceExitRequested(uint64 indexed networkId, bytes32 indexed deviceId, uint64 exitAvailableAt);
    event DeviceWithdrawn(
        uint64 indexed networkId, bytes32 indexed deviceId, address indexed to, uint128 amount
    );
    event DeviceSlashed(
        uint64 indexed networkId, bytes32 indexed deviceId, uint128 amount, uint128 remainingStake
    );
    /// @notice A device's storage target was set, replaced, or cleared (all fields zero).
    event DeviceStorageSet(
        uint64 indexed networkId, bytes32 indexed deviceId, bytes32 root, uint32 chunks, uint32 chunkBytes
    );
    event OperatorRegistered(address indexed signer, address indexed owner, bytes peerId, uint128 stake);
    event OperatorPeerIdUpdated(address indexed signer, bytes peerId);
    event OperatorStakeAdded(address indexed signer, uint128 amount, uint128 stake);
    event OperatorExitRequested(address indexed signer, uint64 exitAvailableAt);
    event OperatorWithdrawn(address indexed signer, address indexed to, uint128 amount);
    event OperatorSlashed(address indexed signer, uint128 amount);
    event SettlementSet(address indexed settlement);
    event UnbondingDelaySet(uint64 delay);
    event MinOperatorStakeSet(uint128 amount);

    error UnknownNetwork(uint64 networkId);
    error InvalidNetworkParams(uint32 epochLength, uint8 k);
    error NotNetworkOwner(uint64 networkId, address caller);
    error ZeroAddress();
    error DeviceAlreadyRegistered(bytes32 deviceId);
    error UnknownDevice(bytes32 deviceId);
    error NotDeviceOwner(bytes32 deviceId, address caller);
    error DeviceNotActive(bytes32 deviceId, Status status);
    error DeviceNotExiting(bytes32 deviceId, Status status);
    error DeviceNotInNetwork(uint64 networkId, bytes32 deviceId);
    error InvalidStorageTarget(bytes32 root, uint32 chunks, uint32 chunkBytes);
    error OperatorAlreadyRegistered(address signer);
    error UnknownOperator(address signer);
    error NotOperatorOwner(address signer, address caller);
    error OperatorNotActive(address signer, Status status);
    error OperatorNotExiting(address signer, Status status);
    error StakeTooLow(uint256 amount, uint256 minimum);
    error InvalidPeerId();
    error StillUnbonding(uint64 exitAvailableAt, uint64 nowTime);
    error NotSettlement(address caller);
    error SettlementAlreadySet(address settlement);
    error UnbondingDelayTooShort(uint64 delay, uint64 minimum);
    error ProbationTooLong(uint32 epochs, uint32 maximum);

    // ----- networks -----

    /// @notice Registers a DePIN network owned by the caller. Returns its id (ids start at 1).
    function registerNetwork(NetworkParams calldata params) external returns (uint64 networkId);

    /// @notice Changes the budget, device stake, challenge policy and k (epoch timing stays fixed). Network owner only.
    function updateNetwork(
        uint64 networkId,
        uint128 rewardBudgetPerEpoch,
        uint128 stakePerDevice,
        uint32 challengePolicyId,
        uint8 k
    ) external;

    /// @notice Hands the network to a new owner. Network owner only.
    function transferNetworkOwnership(uint64 networkId, address newOwner) external;

    // ----- devices -----

    /// @notice Registers `deviceId` in a network for `owner`; the caller pays the network's `stakePerDevice`.
    /// A device key can be registered once, ever.
    function registerDevice(uint64 networkId, bytes32 deviceId, address owner) external;

    /// @notice Starts the unbonding of an active device. Device owner only.
    function requestDeviceExit(bytes32 deviceId) external;

    /// @notice Sends an exiting device's remaining stake to its owner once unbonded.
    function withdrawDeviceStake(bytes32 deviceId) external;

    /// @notice Sets the storage a device of the network must hold: what the network's storage client placed on
    /// it (a replica derived from a secret the device never learns). Network owner only (the protocol, acting as
    /// or for its storage client); the device registered in `networkId`. `chunks` >= 1 and `chunkBytes` in
    /// [MIN_STORAGE_CHUNK_BYTES, MAX_STORAGE_CHUNK_BYTES] with a nonzero root; all three zero clears the target
    /// (the device is then given no storage challenge). Replaces any earlier target at once.
    function setDeviceStorage(
        uint64 networkId,
        bytes32 deviceId,
        bytes32 root,
        uint32 chunks,
        uint32 chunkBytes
    ) external;

    // ----- operators -----

    /// @notice Registers an oracle operator: its signer, libp2p peer id and a stake of at least `minOperatorStake`
    /// paid by the caller, who becomes the operator's owner.
    function registerOperator(address signer, bytes calldata peerId, uint128 stake) external;

    /// @notice Replaces the operator's libp2p peer id. Operator owner only.
    function updateOperatorPeerId(address signer, bytes calldata peerId) external;

    /// @notice Adds stake to an active operator (anyone may pay).
    function addOperatorStake(address signer, uint128 amount) external;

    /// @notice Starts the unbonding of an active operator. Operator owner only.
    function requestOperatorExit(address signer) external;

    /// @notice Sends an exiting operator's remaining stake to its owner once unbonded.
    function withdrawOperatorStake(address signer) external;

    // ----- slashing (settlement contract only) -----

    /// @notice Takes up to `amount` of a device's stake (never more than it has) and sends it to the settlement
    /// contract. Returns what was taken: 0 for an unknown device or one of another network.
    function slashDevice(uint64 networkId, bytes32 deviceId, uint256 amount)
        external
        returns (uint256 slashed);

    /// @notice Takes an operator's whole stake and sends it to the settlement contract. Returns the amount.
    function slashOperator(address signer) external returns (uint256 slashed);

    // ----- views -----

    function token() external view returns (address);
    function settlement() external view returns (address);
    function unbondingDelay() external view returns (uint64);
    function minOperatorStake() external view returns (uint128);
    function networkCount() external view returns (uint64);
    function getNetwork(uint64 networkId) external view returns (Network memory);
    function getDevice(bytes32 deviceId) external view returns (Device memory);
    /// @notice Devices of a network in registration order, `limit` from `offset` (fewer at the end).
    function getNetworkDevices(uint64 networkId, uint256 offset, uint256 limit)
        external
        view
        returns (Device[] memory);
    /// @notice The storage target of a device (all zero if none).
    function getDeviceStorage(bytes32 deviceId) external view returns (StorageTarget memory);
    /// @notice Storage targets of a network's devices in registration order (as `getNetworkDevices`), `limit`
    /// from `offset`, each with its device id; a device without one has an all-zero target.
    function getNetworkDeviceStorage(uint64 networkId, uint256 offset, uint256 limit)
        external
        view
        returns (bytes32[] memory deviceIds, StorageTarget[] memory targets);
    function getOperator(address signer) external view returns (Operator memory);
    function operatorCount() external view returns (uint256);
    /// @notice Operators in registration order (any status), `limit` from `offset`.
    function getOperators(uint256 offset, uint256 limit) external view returns (Operator[] memory);
    /// @notice Signers of operators with status Active, in registration order.
    function getActiveSigners() external view returns (address[] memory);
    /// @notice Whether `signer` belongs to an operator whose status is Active.
    function isActiveSigner(address signer) external view returns (bool);
    /// @notice Timing and budget of a network in one call (what settlement needs). `epochLength` is 0 if unknown.
    function epochParams(uint64 networkId)
        external
        view
        returns (address owner, uint64 genesisTime, uint32 epochLength, uint128 rewardBudgetPerEpoch);
    /// @notice Sets a network's probation (network owner only; at most 10,000 epochs; 0: none). It applies to every
    /// device of the network, registered before or after, from the next claim on.
    function setProbationEpochs(uint64 networkId, uint32 epochs) external;
    /// @notice Epochs of a network's probation; 0: none.
    function probationEpochs(uint64 networkId) external view returns (uint32);
    /// @notice A device's probation as the settlement applies it at claim time: rewards of epochs before
    /// `releaseEpoch` (the epoch it registered in plus the network's `probationEpochs`) are escrowed until epoch
    /// `releaseEpoch` has settled (the last probation epoch's fraud evidence is admissible until it ends), and forfeited
    /// once `slashed` (any stake ever taken by a slash).
    function probation(bytes32 deviceId) external view returns (uint64 releaseEpoch, bool slashed);
}
