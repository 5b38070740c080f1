// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IVigilRegistry} from "../../src/interfaces/IVigilRegistry.sol";
import {VigilFixture} from "./VigilFixture.sol";

/// Storage targets: the network owner (its storage client) sets what each of its devices must hold.
contract VigilRegistryStorageTest is VigilFixture {
    bytes32 internal constant DEVICE = keccak256("storage-device");
    bytes32 internal constant ROOT = keccak256("replica-root");
    uint32 internal constant CHUNKS = 64;
    uint32 internal constant CHUNK_BYTES = 1024;

    function setUp() public override {
        super.setUp();
        _registerDevice(DEVICE, alice);
    }

    function _set(bytes32 deviceId, bytes32 root, uint32 chunks, uint32 chunkBytes) internal {
        vm.prank(networkOwner);
        registry.setDeviceStorage(networkId, deviceId, root, chunks, chunkBytes);
    }

    function test_SetDeviceStorage() public {
        vm.expectEmit(address(registry));
        emit IVigilRegistry.DeviceStorageSet(networkId, DEVICE, ROOT, CHUNKS, CHUNK_BYTES);
        _set(DEVICE, ROOT, CHUNKS, CHUNK_BYTES);
        IVigilRegistry.StorageTarget memory t = registry.getDeviceStorage(DEVICE);
        assertEq(t.root, ROOT);
        assertEq(t.chunks, CHUNKS);
        assertEq(t.chunkBytes, CHUNK_BYTES);
    }

    function test_SetDeviceStorageReplacesAndClears() public {
        _set(DEVICE, ROOT, CHUNKS, CHUNK_BYTES);
        bytes32 next = keccak256("new-replica");
        _set(DEVICE, next, 128, 4096);
        assertEq(registry.getDeviceStorage(DEVICE).root, next);
        assertEq(registry.getDeviceStorage(DEVICE).chunkBytes, 4096);
        vm.expectEmit(address(registry));
        emit IVigilRegistry.DeviceStorageSet(networkId, DEVICE, bytes32(0), 0, 0);
        _set(DEVICE, bytes32(0), 0, 0);
        IVigilRegistry.StorageTarget memory t = registry.getDeviceStorage(DEVICE);
        assertEq(t.root, bytes32(0));
        assertEq(t.chunks, 0);
        assertEq(t.chunkBytes, 0);
    }

    function test_SetDeviceStorageOfExitingDevice() public {
        // The client may still clear (or move) the data of a device that is leaving.
        vm.prank(alice);
        registry.requestDeviceExit(DEVICE);
        _set(DEVICE, bytes32(0), 0, 0);
        assertEq(registry.getDeviceStorage(DEVICE).chunks, 0);
    }

    function test_RevertIf_SetDeviceStorageNotNetworkOwner() public {
        // Not even the device's owner: a device must never register its own root.
        vm.expectRevert(abi.encodeWithSelector(IVigilRegistry.NotNetworkOwner.selector, networkId, alice));
        vm.prank(alice);
        registry.setDeviceStorage(networkId, DEVICE, ROOT, CHUNKS, CHUNK_BYTES);
        vm.expectRevert(abi.encodeWithSelector(IVigilRegistry.UnknownNetwork.selector, 99));
        vm.prank(networkOwner);
        registry.setDeviceStorage(99, DEVICE, ROOT, CHUNKS, CHUNK_BYTES);
    }

    function test_RevertIf_SetDeviceStorageDeviceNotInNetwork() public {
        vm.expectRevert(
            abi.encodeWithSelector(IVigilRegistry.DeviceNotInNetwork.selector, networkId, bytes32(0))
        );
        _set(bytes32(0), ROOT, CHUNKS, CHUNK_BYTES);
        // A device of another network: its owner there may set it, this network's may not.
        vm.prank(bob);
        uint64 other = registry.registerNetwork(_params());
        bytes32 foreign = keccak256("foreign-device");
        _mint(bob, STAKE_PER_DEVICE);
        vm.startPrank(bob);
        token.approve(address(registry), STAKE_PER_DEVICE);
        registry.registerDevice(other, foreign, bob);
        vm.stopPrank();
        vm.expectRevert(
            abi.encodeWithSelector(IVigilRegistry.DeviceNotInNetwork.selector, networkId, foreign)
        );
        _set(foreign, ROOT, CHUNKS, CHUNK_BYTES);
        vm.expectRevert(abi.encodeWithSelector(IVigilRegistry.DeviceNotInNetwork.selector, other, DEVICE));
        vm.prank(bob);
        registry.setDeviceStorage(other, DEVICE, ROOT, CHUNKS, CHUNK_BYTES);
    }

    function test_RevertIf_SetDeviceStorageOutOfBounds() public {
        uint32 min = registry.MIN_STORAGE_CHUNK_BYTES();
        uint32 max = registry.MAX_STORAGE_CHUNK_BYTES();
        _expectInvalid(bytes32(0), CHUNKS, CHUNK_BYTES);
        _expectInvalid(ROOT, 0, CHUNK_BYTES);
        _expectInvalid(ROOT, CHUNKS, 0);
        _expectInvalid(ROOT, CHUNKS, 1);
        _expectInvalid(ROOT, CHUNKS, min - 1);
        _expectInvalid(ROOT, CHUNKS, max + 1);
        // Clearing is all three zero, not a zero root alone.
        _expectInvalid(bytes32(0), 0, CHUNK_BYTES);
        _set(DEVICE, ROOT, 1, min);
        _set(DEVICE, ROOT, type(uint32).max, max);
    }

    function _expectInvalid(bytes32 root, uint32 chunks, uint32 chunkBytes) internal {
        vm.expectRevert(
            abi.encodeWithSelector(IVigilRegistry.InvalidStorageTarget.selector, root, chunks, chunkBytes)
        );
        _set(DEVICE, root, chunks, chunkBytes);
    }

    function testFuzz_SetDeviceStorageBounds(bytes32 root, uint32 chunks, uint32 chunkBytes) public {
        bool clear = root == bytes32(0) && chunks == 0 && chunkBytes == 0;
        bool valid = root != bytes32(0) && chunks > 0 && chunkBytes >= registry.MIN_STORAGE_CHUNK_BYTES()
            && chunkBytes <= registry.MAX_STORAGE_CHUNK_BYTES();
        if (!clear && !valid) {
            _expectInvalid(root, chunks, chunkBytes);
            assertEq(registry.getDeviceStorage(DEVICE).root, bytes32(0));
            return;
        }
        _set(DEVICE, root, chunks, chunkBytes);
        IVigilRegistry.StorageTarget memory t = registry.getDeviceStorage(DEVICE);
        assertEq(t.root, root);
        assertEq(t.chunks, chunks);
        assertEq(t.chunkBytes, chunkBytes);
    }

    function testFuzz_SetDeviceStorageInBoundsIsKept(bytes32 root, uint32 chunks, uint32 chunkBytes) public {
        root = root == bytes32(0) ? ROOT : root;
        chunks = uint32(bound(chunks, 1, type(uint32).max));
        chunkBytes =
            uint32(bound(chunkBytes, registry.MIN_STORAGE_CHUNK_BYTES(), registry.MAX_STORAGE_CHUNK_BYTES()));
        _set(DEVICE, root, chunks, chunkBytes);
        IVigilRegistry.StorageTarget memory t = registry.getDeviceStorage(DEVICE);
        assertEq(t.root, root);
        assertEq(t.chunks, chunks);
        assertEq(t.chunkBytes, chunkBytes);
    }

    function test_GetNetworkDeviceStoragePages() public {
        for (uint256 i = 1; i <= 4; ++i) {
            _registerDevice(bytes32(i), alice);
        }
        _set(bytes32(uint256(2)), ROOT, CHUNKS, CHUNK_BYTES);
        // Registration order: DEVICE, 1, 2, 3, 4.
        (bytes32[] memory ids, IVigilRegistry.StorageTarget[] memory targets) =
            registry.getNetworkDeviceStorage(networkId, 1, 3);
        assertEq(ids.length, 3);
        assertEq(targets.length, 3);
        assertEq(ids[0], bytes32(uint256(1)));
        assertEq(targets[0].root, bytes32(0));
        assertEq(ids[1], bytes32(uint256(2)));
        assertEq(targets[1].root, ROOT);
        assertEq(targets[1].chunks, CHUNKS);
        (ids, targets) = registry.getNetworkDeviceStorage(networkId, 4, 10);
        assertEq(ids.length, 1);
        (ids,) = registry.getNetworkDeviceStorage(networkId, 5, 10);
        assertEq(ids.length, 0);
        (ids,) = registry.getNetworkDeviceStorage(99, 0, 10);
        assertEq(ids.length, 0);
    }
}
