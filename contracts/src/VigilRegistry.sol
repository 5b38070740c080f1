// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {GuardianPausable} from "./governance/GuardianPausable.sol";
import {IVigilRegistry} from "./interfaces/IVigilRegistry.sol";
import {Ownable} from "@openzeppelin/contracts@5.3.0/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts@5.3.0/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts@5.3.0/token/ERC20/utils/SafeERC20.sol";

/// @title VigilRegistry
/// @notice Networks, devices and oracle operators of Vigil, and the reward-token stakes behind them.
/// The registry holds every stake; only the settlement contract can slash, and slashed tokens go to it.
/// @dev Owned (two-step) by the governance timelock in production. A guardian `pause` stops new money coming in
/// (`registerNetwork`, `registerDevice`, `registerOperator`, `addOperatorStake`) while an incident is handled; it
/// never stops anyone leaving: exit requests, stake withdrawals after unbonding, the owners' own updates, and
/// the settlement's slashes all keep working, so a pause can hold nobody's stake hostage.
contract VigilRegistry is IVigilRegistry, GuardianPausable {
    using SafeERC20 for IERC20;

    /// A libp2p peer id is a multihash: 38 bytes for an Ed25519 identity key; 128 leaves room for other key
    /// types while keeping operator records bounded.
    uint256 internal constant MAX_PEER_ID_LENGTH = 128;
    /// Largest storage chunk: what the wire format lets a device open in a response (MAX_STORAGE_CHUNK_BYTES
    /// in attestation/constants.ts, 16 KiB; 16 samples of it stay well inside the 1 MiB message limit). A
    /// larger target could never be answered.
    uint32 public constant MAX_STORAGE_CHUNK_BYTES = 16 * 1024;
    /// Smallest storage chunk. Each chunk costs the device a 32-byte leaf and about as much again in inner
    /// nodes of the tree it keeps for its proofs: at 256 bytes that overhead is a quarter of the data, and
    /// smaller chunks would mostly prove the device keeps hashes (below 32 bytes, a leaf is as big as its
    /// chunk). Credit scales with bytes (64 KiB a unit), so this bounds overhead, not what a target earns.
    uint32 public constant MIN_STORAGE_CHUNK_BYTES = 256;
    /// Least unbonding delay the owner may set. An exiting operator's stake stays slashable only until it
    /// withdraws, and equivocation evidence lands after the epoch's agreement (a node reports it then, and
    /// anyone may after): with no delay an operator could equivocate, exit and withdraw in the same block. A day
    /// covers an epoch, its agreement and a reporter's transaction for epochs up to hours long; a network with
    /// longer epochs needs a longer delay, which the owner sets (deployments default to 7 days). The
    /// constructor takes any delay, so a test chain can deploy with 0.
    uint64 public constant MIN_UNBONDING_DELAY = 1 days;
    /// Longest probation a network may set: rewards escrowed longer than this are a lock-up, not a probation.
    uint32 internal constant MAX_PROBATION_EPOCHS = 10_000;

    IERC20 internal immutable i_token;
    address public settlement;
    uint64 public unbondingDelay;
    uint128 public minOperatorStake;
    uint64 public networkCount;

    mapping(uint64 networkId => Network) internal s_networks;
    mapping(uint64 networkId => bytes32[]) internal s_networkDevices;
    mapping(bytes32 deviceId => Device) internal s_devices;
    mapping(bytes32 deviceId => StorageTarget) internal s_deviceStorage;
    mapping(address signer => Operator) internal s_operators;
    /// @inheritdoc IVigilRegistry
    mapping(uint64 networkId => uint32) public probationEpochs;
    address[] internal s_operatorSigners;

    modifier onlySettlement() {
        if (msg.sender != settlement) revert NotSettlement(msg.sender);
        _;
    }

    modifier onlyNetworkOwner(uint64 networkId) {
        address networkOwner = s_networks[networkId].owner;
        if (networkOwner == address(0)) revert UnknownNetwork(networkId);
        if (networkOwner != msg.sender) revert NotNetworkOwner(networkId, msg.sender);
        _;
    }

    /// @param token_ The reward token, in which every stake is paid.
    /// @param admin Owner of the registry (sets the settlement contract and the global parameters).
    /// @param unbondingDelay_ Seconds between an exit request and the stake withdrawal.
    /// @param minOperatorStake_ Least stake an operator registers with.
    constructor(IERC20 token_, address admin, uint64 unbondingDelay_, uint128 minOperatorStake_)
        Ownable(admin)
    {
        if (address(token_) == address(0)) revert ZeroAddress();
        i_token = token_;
        unbondingDelay = unbondingDelay_;
        minOperatorStake = minOperatorStake_;
        emit UnbondingDelaySet(unbondingDelay_);
        emit MinOperatorStakeSet(minOperatorStake_);
    }

    // ================================================================
    // Admin
    // ================================================================

    /// @notice Sets the settlement contract, once: it can slash every stake, so it must not be swappable.
    function setSettlement(address settlement_) external onlyOwner {
        if (settlement_ == address(0)) revert ZeroAddress();
        if (settlement != address(0)) revert SettlementAlreadySet(settlement);
        settlement = settlement_;
        emit SettlementSet(settlement_);
    }

    /// @notice Sets the delay between an exit request and the stake withdrawal, at least `MIN_UNBONDING_DELAY`:
    /// an exiting stake must stay slashable until equivocation evidence (reported after an epoch's agreement)
    /// can land.
    function setUnbondingDelay(uint64 delay) external onlyOwner {
        if (delay < MIN_UNBONDING_DELAY) revert UnbondingDelayTooShort(delay, MIN_UNBONDING_DELAY);
        unbondingDelay = delay;
        emit UnbondingDelaySet(delay);
    }

    function setMinOperatorStake(uint128 amount) external onlyOwner {
        minOperatorStake = amount;
        emit MinOperatorStakeSet(amount);
    }

    // ================================================================
    // Networks
    // ================================================================

    /// @inheritdoc IVigilRegistry
    function registerNetwork(NetworkParams calldata params)
        external
        whenNotPaused
        returns (uint64 networkId)
    {
        if (params.epochLength == 0 || params.k == 0) {
            revert InvalidNetworkParams(params.epochLength, params.k);
        }
        networkId = ++networkCount;
        uint64 genesis = params.genesisTime == 0 ? uint64(block.timestamp) : params.genesisTime;
        s_networks[networkId] = Network({
            owner: msg.sender,
            epochLength: params.epochLength,
            genesisTime: genesis,
            rewardBudgetPerEpoch: params.rewardBudgetPerEpoch,
            stakePerDevice: params.stakePerDevice,
            challengePolicyId: params.challengePolicyId,
            k: params.k,
            deviceCount: 0
        });
        NetworkParams memory stored = params;
        stored.genesisTime = genesis;
        emit NetworkRegistered(networkId, msg.sender, stored);
    }

    /// @inheritdoc IVigilRegistry
    function updateNetwork(
        uint64 networkId,
        uint128 rewardBudgetPerEpoch,
        uint128 stakePerDevice,
        uint32 challengePolicyId,
        uint8 k
    ) external onlyNetworkOwner(networkId) {
        Network storage network = s_networks[networkId];
        if (k == 0) revert InvalidNetworkParams(network.epochLength, k);
        network.rewardBudgetPerEpoch = rewardBudgetPerEpoch;
        network.stakePerDevice = stakePerDevice;
        network.challengePolicyId = challengePolicyId;
        network.k = k;
        emit NetworkUpdated(networkId, rewardBudgetPerEpoch, stakePerDevice, challengePolicyId, k);
    }

    /// @inheritdoc IVigilRegistry
    function transferNetworkOwnership(uint64 networkId, address newOwner)
        external
        onlyNetworkOwner(networkId)
    {
        if (newOwner == address(0)) revert ZeroAddress();
        s_networks[networkId].owner = newOwner;
        emit NetworkOwnerTransferred(networkId, msg.sender, newOwner);
    }

    /// @inheritdoc IVigilRegistry
    function setProbationEpochs(uint64 networkId, uint32 epochs) external onlyNetworkOwner(networkId) {
        if (epochs > MAX_PROBATION_EPOCHS) revert ProbationTooLong(epochs, MAX_PROBATION_EPOCHS);
        probationEpochs[networkId] = epochs;
        emit ProbationEpochsSet(networkId, epochs);
    }

    /// @inheritdoc IVigilRegistry
    /// @dev Threat: a fresh key farming rewards until its first slash and walking away with them. Its first epochs'
    /// rewards wait until the probation has settled without a slash; a slash before its owner claims them forfeits
    /// them (they stay in the settlement, never paid). An unknown device has release 0: nothing is escrowed.
    function probation(bytes32 deviceId) external view returns (uint64 releaseEpoch, bool slashed) {
        Device storage device = s_devices[deviceId];
        uint32 epochs = probationEpochs[device.networkId];
        if (epochs == 0 || device.status == Status.None) return (0, device.slashed != 0);
        Network storage network = s_networks[device.networkId];
        uint64 registeredEpoch = device.registeredAt <= network.genesisTime
            ? 0
            : (device.registeredAt - network.genesisTime) / network.epochLength;
        return (registeredEpoch + epochs, device.slashed != 0);
    }

    // ================================================================
    // Devices
    // ================================================================

    /// @inheritdoc IVigilRegistry
    function registerDevice(uint64 networkId, bytes32 deviceId, address owner_) external whenNotPaused {
        Network storage network = s_networks[networkId];
        if (network.owner == address(0)) revert UnknownNetwork(networkId);
        if (owner_ == address(0)) revert ZeroAddress();
        if (s_devices[deviceId].status != Status.None) revert DeviceAlreadyRegistered(deviceId);
        uint128 stake = network.stakePerDevice;
        s_devices[deviceId] = Device({
            deviceId: deviceId,
            networkId: networkId,
            status: Status.Active,
            exitAvailableAt: 0,
            owner: owner_,
            stake: stake,
            slashed: 0,
            registeredAt: uint64(block.timestamp)
        });
        s_networkDevices[networkId].push(deviceId);
        network.deviceCount += 1;
        if (stake > 0) i_token.safeTransferFrom(msg.sender, address(this), stake);
        emit DeviceRegistered(networkId, deviceId, owner_, stake);
    }

    /// @inheritdoc IVigilRegistry
    function requestDeviceExit(bytes32 deviceId) external {
        Device storage device = s_devices[deviceId];
        if (device.status == Status.None) revert UnknownDevice(deviceId);
        if (device.owner != msg.sender) revert NotDeviceOwner(deviceId, msg.sender);
        if (device.status != Status.Active) revert DeviceNotActive(deviceId, device.status);
        uint64 availableAt = uint64(block.timestamp) + unbondingDelay;
        device.status = Status.Exiting;
        device.exitAvailableAt = availableAt;
        emit DeviceExitRequested(device.networkId, deviceId, availableAt);
    }

    /// @inheritdoc IVigilRegistry
    function withdrawDeviceStake(bytes32 deviceId) external {
        Device storage device = s_devices[deviceId];
        if (device.status != Status.Exiting) revert DeviceNotExiting(deviceId, device.status);
        // Unbonding is days long; a validator shifting a timestamp by seconds changes nothing.
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp < device.exitAvailableAt) {
            revert StillUnbonding(device.exitAvailableAt, uint64(block.timestamp));
        }
        uint128 amount = device.stake;
        address to = device.owner;
        device.stake = 0;
        device.status = Status.Exited;
        if (amount > 0) i_token.safeTransfer(to, amount);
        emit DeviceWithdrawn(device.networkId, deviceId, to, amount);
    }

    /// @inheritdoc IVigilRegistry
    function setDeviceStorage(
        uint64 networkId,
        bytes32 deviceId,
        bytes32 root,
        uint32 chunks,
        uint32 chunkBytes
    ) external onlyNetworkOwner(networkId) {
        Device storage device = s_devices[deviceId];
        if (device.status == Status.None || device.networkId != networkId) {
            revert DeviceNotInNetwork(networkId, deviceId);
        }
        bool clear = root == bytes32(0) && chunks == 0 && chunkBytes == 0;
        if (
            !clear
                && (root == bytes32(0)
                    || chunks == 0
                    || chunkBytes < MIN_STORAGE_CHUNK_BYTES
                    || chunkBytes > MAX_STORAGE_CHUNK_BYTES)
        ) revert InvalidStorageTarget(root, chunks, chunkBytes);
        s_deviceStorage[deviceId] = StorageTarget({root: root, chunks: chunks, chunkBytes: chunkBytes});
        emit DeviceStorageSet(networkId, deviceId, root, chunks, chunkBytes);
    }

    // ================================================================
    // Operators
    // ================================================================

    /// @inheritdoc IVigilRegistry
    function registerOperator(address signer, bytes calldata peerId, uint128 stake) external whenNotPaused {
        if (signer == address(0)) revert ZeroAddress();
        if (s_operators[signer].status != Status.None) revert OperatorAlreadyRegistered(signer);
        _checkPeerId(peerId);
        if (stake < minOperatorStake || stake == 0) revert StakeTooLow(stake, minOperatorStake);
        s_operators[signer] = Operator({
            signer: signer,
            status: Status.Active,
            exitAvailableAt: 0,
            owner: msg.sender,
            stake: stake,
            slashed: 0,
            peerId: peerId
        });
        s_operatorSigners.push(signer);
        i_token.safeTransferFrom(msg.sender, address(this), stake);
        emit OperatorRegistered(signer, msg.sender, peerId, stake);
    }

    /// @inheritdoc IVigilRegistry
    function updateOperatorPeerId(address signer, bytes calldata peerId) external {
        Operator storage operator = _ownedOperator(signer);
        _checkPeerId(peerId);
        operator.peerId = peerId;
        emit OperatorPeerIdUpdated(signer, peerId);
    }

    /// @inheritdoc IVigilRegistry
    function addOperatorStake(address signer, uint128 amount) external whenNotPaused {
        Operator storage operator = s_operators[signer];
        if (operator.status != Status.Active) revert OperatorNotActive(signer, operator.status);
        if (amount == 0) revert StakeTooLow(0, 1);
        uint128 stake = operator.stake + amount;
        operator.stake = stake;
        i_token.safeTransferFrom(msg.sender, address(this), amount);
        emit OperatorStakeAdded(signer, amount, stake);
    }

    /// @inheritdoc IVigilRegistry
    function requestOperatorExit(address signer) external {
        Operator storage operator = _ownedOperator(signer);
        if (operator.status != Status.Active) revert OperatorNotActive(signer, operator.status);
        uint64 availableAt = uint64(block.timestamp) + unbondingDelay;
        operator.status = Status.Exiting;
        operator.exitAvailableAt = availableAt;
        emit OperatorExitRequested(signer, availableAt);
    }

    /// @inheritdoc IVigilRegistry
    function withdrawOperatorStake(address signer) external {
        Operator storage operator = s_operators[signer];
        if (operator.status != Status.Exiting) revert OperatorNotExiting(signer, operator.status);
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp < operator.exitAvailableAt) {
            revert StillUnbonding(operator.exitAvailableAt, uint64(block.timestamp));
        }
        uint128 amount = operator.stake;
        address to = operator.owner;
        operator.stake = 0;
        operator.status = Status.Exited;
        if (amount > 0) i_token.safeTransfer(to, amount);
        emit OperatorWithdrawn(signer, to, amount);
    }

    // ================================================================
    // Slashing
    // ================================================================

    /// @inheritdoc IVigilRegistry
    function slashDevice(uint64 networkId, bytes32 deviceId, uint256 amount)
        external
        onlySettlement
        returns (uint256 slashed)
    {
        Device storage device = s_devices[deviceId];
        // A report is never blocked by a slash it cannot apply: settlement records it as skipped.
        if (device.status == Status.None || device.networkId != networkId) return 0;
        uint128 stake = device.stake;
        // amount < stake <= type(uint128).max here.
        // forge-lint: disable-next-line(unsafe-typecast)
        uint128 taken = amount < stake ? uint128(amount) : stake;
        if (taken == 0) return 0;
        device.stake = stake - taken;
        device.slashed += taken;
        i_token.safeTransfer(msg.sender, taken);
        emit DeviceSlashed(networkId, deviceId, taken, stake - taken);
        return taken;
    }

    /// @inheritdoc IVigilRegistry
    function slashOperator(address signer) external onlySettlement returns (uint256 slashed) {
        Operator storage operator = s_operators[signer];
        uint128 stake = operator.stake;
        if (stake == 0) return 0;
        operator.stake = 0;
        operator.slashed += stake;
        // A slashed operator is no longer trusted; it keeps its record (and may withdraw nothing).
        if (operator.status == Status.Active) {
            operator.status = Status.Exiting;
            operator.exitAvailableAt = uint64(block.timestamp);
        }
        i_token.safeTransfer(msg.sender, stake);
        emit OperatorSlashed(signer, stake);
        return stake;
    }

    // ================================================================
    // Views
    // ================================================================

    function token() external view returns (address) {
        return address(i_token);
    }

    function getNetwork(uint64 networkId) external view returns (Network memory) {
        return s_networks[networkId];
    }

    function getDevice(bytes32 deviceId) external view returns (Device memory) {
        return s_devices[deviceId];
    }

    function getNetworkDevices(uint64 networkId, uint256 offset, uint256 limit)
        external
        view
        returns (Device[] memory devices)
    {
        bytes32[] storage ids = s_networkDevices[networkId];
        uint256 count = _pageSize(ids.length, offset, limit);
        devices = new Device[](count);
        for (uint256 i = 0; i < count; ++i) {
            devices[i] = s_devices[ids[offset + i]];
        }
    }

    function getDeviceStorage(bytes32 deviceId) external view returns (StorageTarget memory) {
        return s_deviceStorage[deviceId];
    }

    function getNetworkDeviceStorage(uint64 networkId, uint256 offset, uint256 limit)
        external
        view
        returns (bytes32[] memory deviceIds, StorageTarget[] memory targets)
    {
        bytes32[] storage ids = s_networkDevices[networkId];
        uint256 count = _pageSize(ids.length, offset, limit);
        deviceIds = new bytes32[](count);
        targets = new StorageTarget[](count);
        for (uint256 i = 0; i < count; ++i) {
            bytes32 id = ids[offset + i];
            deviceIds[i] = id;
            targets[i] = s_deviceStorage[id];
        }
    }

    function getOperator(address signer) external view returns (Operator memory) {
        return s_operators[signer];
    }

    function operatorCount() external view returns (uint256) {
        return s_operatorSigners.length;
    }

    function getOperators(uint256 offset, uint256 limit) external view returns (Operator[] memory operators) {
        uint256 count = _pageSize(s_operatorSigners.length, offset, limit);
        operators = new Operator[](count);
        for (uint256 i = 0; i < count; ++i) {
            operators[i] = s_operators[s_operatorSigners[offset + i]];
        }
    }

    function getActiveSigners() external view returns (address[] memory signers) {
        uint256 total = s_operatorSigners.length;
        signers = new address[](total);
        uint256 n;
        for (uint256 i = 0; i < total; ++i) {
            address signer = s_operatorSigners[i];
            if (s_operators[signer].status == Status.Active) signers[n++] = signer;
        }
        assembly {
            mstore(signers, n)
        }
    }

    function isActiveSigner(address signer) external view returns (bool) {
        return s_operators[signer].status == Status.Active;
    }

    function epochParams(uint64 networkId)
        external
        view
        returns (address owner_, uint64 genesisTime, uint32 epochLength, uint128 rewardBudgetPerEpoch)
    {
        Network storage network = s_networks[networkId];
        return (network.owner, network.genesisTime, network.epochLength, network.rewardBudgetPerEpoch);
    }

    // ================================================================
    // Internal
    // ================================================================

    function _ownedOperator(address signer) internal view returns (Operator storage operator) {
        operator = s_operators[signer];
        if (operator.status == Status.None) revert UnknownOperator(signer);
        if (operator.owner != msg.sender) revert NotOperatorOwner(signer, msg.sender);
    }

    function _checkPeerId(bytes calldata peerId) internal pure {
        if (peerId.length == 0 || peerId.length > MAX_PEER_ID_LENGTH) revert InvalidPeerId();
    }

    function _pageSize(uint256 length, uint256 offset, uint256 limit) internal pure returns (uint256) {
        if (offset >= length) return 0;
        uint256 left = length - offset;
        return left < limit ? left : limit;
    }
}
