// Human-readable ABIs of what the bridge calls, parsed by viem so calls and events are typed.
// Bytecode for deployments comes from forge's artifacts (contracts/artifacts.ts).
import { parseAbi } from "viem";

const laneMessageStruct =
  "struct Message { uint64 sourceChainSelector; uint64 destChainSelector; uint64 sequenceNumber; address sender; address receiver; address sourceToken; address sourcePool; address destToken; uint256 amount; bytes sourcePoolData; }";

export const rateLimiterErrorsAbi = parseAbi([
  "error TokenMaxCapacityExceeded(uint256 capacity, uint256 requested, address tokenAddress)",
  "error TokenRateLimitReached(uint256 minWaitInSeconds, uint256 available, address tokenAddress)",
  "error BucketOverfilled()",
]);

export const tokenPoolAbi = parseAbi([
  "struct Config { bool isEnabled; uint128 capacity; uint128 rate; }",
  "struct TokenBucket { uint128 tokens; uint32 lastUpdated; bool isEnabled; uint128 capacity; uint128 rate; }",
  "struct ChainUpdate { uint64 remoteChainSelector; bytes[] remotePoolAddresses; bytes remoteTokenAddress; Config outboundRateLimiterConfig; Config inboundRateLimiterConfig; }",
  "function applyChainUpdates(uint64[] remoteChainSelectorsToRemove, ChainUpdate[] chainsToAdd)",
  "function getCurrentRateLimiterState(uint64 remoteChainSelector, bool fastFinality) view returns (TokenBucket outbound, TokenBucket inbound)",
  "function isSupportedChain(uint64 remoteChainSelector) view returns (bool)",
  "function getRemoteToken(uint64 remoteChainSelector) view returns (bytes)",
  "function getToken() view returns (address)",
  "struct RateLimitConfigArgs { uint64 remoteChainSelector; bool fastFinality; Config outboundRateLimiterConfig; Config inboundRateLimiterConfig; }",
  "function setRateLimitConfig(RateLimitConfigArgs[] rateLimitConfigArgs)",
  "event ReleasedOrMinted(uint64 indexed remoteChainSelector, address token, address sender, address recipient, uint256 amount)",
  "error CursedByRMN()",
  "error ChainNotAllowed(uint64 remoteChainSelector)",
  "error CallerIsNotARampOnRouter(address caller)",
  "error InvalidSourcePoolAddress(bytes sourcePoolAddress)",
  "error InvalidToken(address token)",
  "error ChainAlreadyExists(uint64 chainSelector)",
  "error Unauthorized(address caller)",
  "error OnlyCallableByOwner()",
  "error TokenMaxCapacityExceeded(uint256 capacity, uint256 requested, address tokenAddress)",
  "error TokenRateLimitReached(uint256 minWaitInSeconds, uint256 available, address tokenAddress)",
]);

export const tokenAbi = parseAbi([
  "function balanceOf(address) view returns (uint256)",
  "function totalSupply() view returns (uint256)",
  "function approve(address spender, uint256 amount) returns (bool)",
  "function allowance(address owner, address spender) view returns (uint256)",
  "function mint(address account, uint256 amount)",
  "function grantMintAndBurnRoles(address burnAndMinter)",
  "function getCCIPAdmin() view returns (address)",
  "function decimals() view returns (uint8)",
  "event Transfer(address indexed from, address indexed to, uint256 value)",
  "error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)",
  "error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed)",
]);

export const tokenAdminRegistryAbi = parseAbi([
  "struct TokenConfig { address administrator; address pendingAdministrator; address tokenPool; }",
  "function getTokenConfig(address token) view returns (TokenConfig)",
  "function getPool(address token) view returns (address)",
  "function acceptAdminRole(address localToken)",
  "function setPool(address localToken, address pool)",
  "function addRegistryModule(address module)",
  "function isRegistryModule(address module) view returns (bool)",
]);

export const registryModuleAbi = parseAbi(["function registerAdminViaGetCCIPAdmin(address token)"]);

export const routerClientAbi = parseAbi([
  "struct EVMTokenAmount { address token; uint256 amount; }",
  "struct EVM2AnyMessage { bytes receiver; bytes data; EVMTokenAmount[] tokenAmounts; address feeToken; bytes extraArgs; }",
  "function ccipSend(uint64 destinationChainSelector, EVM2AnyMessage message) payable returns (bytes32)",
  "function getFee(uint64 destinationChainSelector, EVM2AnyMessage message) view returns (uint256)",
  "function isChainSupported(uint64 destChainSelector) view returns (bool)",
  "error UnsupportedDestinationChain(uint64 destChainSelector)",
  "error InsufficientFeeTokenAmount()",
  "error InvalidMsgValue()",
  "error OneTokenPerMessage(uint256 count)",
  "error DataNotSupported()",
  "error InvalidReceiver(bytes receiver)",
  "error UnsupportedToken(address token)",
  "error ZeroAmount()",
]);

export const localRmnAbi = parseAbi(["function setCurse(bytes16 subject, bool cursed)"]);

export const laneRouterAdminAbi = parseAbi([
  "function setOnRamp(uint64 destChainSelector, address onRamp)",
  "function setOffRamp(uint64 sourceChainSelector, address offRamp, bool allowed)",
]);

export const onRampAbi = parseAbi([
  laneMessageStruct,
  "event CCIPMessageSent(uint64 indexed destChainSelector, uint64 indexed sequenceNumber, bytes32 indexed messageId, Message message)",
  "function getSequenceNumber(uint64 destChainSelector) view returns (uint64)",
]);

export const offRampAbi = parseAbi([
  laneMessageStruct,
  "function execute(Message[] messages)",
  "function getExecutedMessageId(uint64 sequenceNumber) view returns (bytes32)",
  "function getExecutionStates(uint64[] sequenceNumbers) view returns (bool[])",
  "function setTransmitter(address transmitter, bool allowed)",
  "event ExecutionStateChanged(uint64 indexed sourceChainSelector, uint64 indexed sequenceNumber, bytes32 indexed messageId, address receiver, uint256 amount)",
  "error OnlyTransmitter(address caller)",
  "error WrongLane(uint64 sourceChainSelector, uint64 destChainSelector)",
  "error AlreadyExecuted(uint64 sequenceNumber, bytes32 messageId)",
  "error UnsupportedToken(address token)",
]);

/** Every error the bridge may meet when sending or delivering, for decoding reverts in one place. */
export const bridgeErrorsAbi = [...tokenPoolAbi, ...tokenAbi, ...routerClientAbi, ...offRampAbi].filter(
  (item) => item.type === "error",
);
