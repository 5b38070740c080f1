// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IReceiver} from "@chainlink/contracts/src/v0.8/keystone/interfaces/IReceiver.sol";
import {IERC165} from "@openzeppelin/contracts@5.0.2/utils/introspection/IERC165.sol";

/// @title ReportRecorder
/// @notice Test-only `IReceiver` for the CRE host's integration tests: records every report the
/// forwarder delivers so a test can compare the exact metadata and body it produced.
contract ReportRecorder is IReceiver {
    /// @notice One delivered report, split the way `KeystoneForwarder` passes it.
    struct Delivery {
        bytes metadata;
        bytes report;
        address forwarder;
    }

    /// @notice Emitted for every delivered report.
    event ReportReceived(bytes metadata, bytes report);

    /// @notice Thrown when the caller is not the configured forwarder.
    error UnauthorizedForwarder(address caller);

    address public immutable FORWARDER;
    Delivery[] internal s_deliveries;

    constructor(address forwarder) {
        FORWARDER = forwarder;
    }

    /// @inheritdoc IReceiver
    function onReport(bytes calldata metadata, bytes calldata report) external override {
        if (msg.sender != FORWARDER) revert UnauthorizedForwarder(msg.sender);
        s_deliveries.push(Delivery({metadata: metadata, report: report, forwarder: msg.sender}));
        emit ReportReceived(metadata, report);
    }

    /// @notice Number of reports delivered so far.
    function count() external view returns (uint256) {
        return s_deliveries.length;
    }

    /// @notice The `i`-th delivered report.
    function delivery(uint256 i) external view returns (bytes memory metadata, bytes memory report) {
        Delivery storage d = s_deliveries[i];
        return (d.metadata, d.report);
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) external pure override returns (bool) {
        return interfaceId == type(IReceiver).interfaceId || interfaceId == type(IERC165).interfaceId;
    }
}
