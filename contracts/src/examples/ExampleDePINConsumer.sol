// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IVigilFeed} from "../interfaces/IVigilFeed.sol";

/// @title ExampleDePINConsumer
/// @notice How a DePIN protocol contract uses Vigil's verified feed: it accepts a device's epoch result only
/// with a Merkle proof against the settled root, then acts on it (here: records the device's verified work
/// and gates a "service tier" on uptime).
contract ExampleDePINConsumer {
    /// Uptime a device needs in an epoch to keep the premium tier (99.00%).
    uint32 public constant PREMIUM_UPTIME_BPS = 9_900;

    IVigilFeed public immutable feed;
    uint64 public immutable networkId;

    struct DeviceRecord {
        uint64 lastEpoch;
        uint64 totalWork;
        uint32 lastUptimeBps;
        bool premium;
        bool seen;
    }

    mapping(bytes32 deviceId => DeviceRecord) public records;

    event DeviceResultAccepted(
        bytes32 indexed deviceId, uint64 indexed epoch, uint64 work, uint32 uptimeBps, bool premium
    );

    error UnverifiedLine(bytes32 deviceId, uint64 epoch);
    error WrongNetwork(uint64 networkId);
    error StaleEpoch(bytes32 deviceId, uint64 epoch, uint64 lastEpoch);

    constructor(IVigilFeed feed_, uint64 networkId_) {
        feed = feed_;
        networkId = networkId_;
    }

    /// @notice Records a device's verified result for an epoch; each device's epochs must move forward.
    function submitResult(IVigilFeed.DeviceLine calldata line, bytes32[] calldata proof) external {
        if (line.networkId != networkId) revert WrongNetwork(line.networkId);
        if (!feed.verifyLine(networkId, line.epoch, line, proof)) {
            revert UnverifiedLine(line.deviceId, line.epoch);
        }
        DeviceRecord storage record = records[line.deviceId];
        if (record.seen && line.epoch <= record.lastEpoch) {
            revert StaleEpoch(line.deviceId, line.epoch, record.lastEpoch);
        }
        bool premium = line.slash == 0 && line.uptimeBps >= PREMIUM_UPTIME_BPS;
        record.lastEpoch = line.epoch;
        record.totalWork += line.work;
        record.lastUptimeBps = line.uptimeBps;
        record.premium = premium;
        record.seen = true;
        emit DeviceResultAccepted(line.deviceId, line.epoch, line.work, line.uptimeBps, premium);
    }
}
