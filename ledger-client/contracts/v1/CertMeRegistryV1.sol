// SPDX-License-Identifier: Apache-2.0
//
// The certME registry on an EVM chain. It enforces the rules of
// docs/ledger.md §2 exactly as the embedded ledger does (same calls, same
// checks in the same order, same refusals, same events), so one conformance
// suite (tests/ledger_conformance) runs against both.
//
// The ledger holds hashes only: attribute keys are keccak256(name) and
// commitments keccak256(abi.encode(user, attrKey, value, salt)); values and
// salts stay in the user's wallet.
//
// Compiled by compile.mjs (solc-js, evmVersion pinned); the ABI and bytecode
// it produces are committed next to this file (CertMeRegistry.json).
pragma solidity 0.8.37;

contract CertMeRegistry {
    // ------------------------------------------------------------ errors
    // The names are the Ledger interface's LedgerErrorCode names; a client
    // maps a revert's selector back to the same error.
    error NotAuthorized();
    error NotEnrollingValidator();
    error NoConsent();
    error BadSignature();
    error EidNotActive(uint8 status);
    error NoEid(address user);
    error EidExists(address user);
    error NotSuspended(uint8 status);
    error Expired();
    error AlreadyAnswered(uint256 id);
    error NonceUsed();
    error UnknownRequest(uint256 id);
    error UnknownAttribute(bytes32 attrKey);
    error DuplicateAttribute();
    error EmptyAttributes();
    error LengthMismatch();
    error InvalidLoa();
    error CommitmentMismatch(bytes32 attrKey);
    error AlreadyAuthorized(address account);
    error NotListed(address account);
    error ZeroAddress();
    error BadCalldata();

    // ------------------------------------------------------------ events
    // user, provider and validator are indexed (topics), so a client can
    // select by any of them; `actor` is msg.sender.
    event RegistryCreated(address indexed admin);
    event ValidatorAdded(address indexed validator, address actor);
    event ValidatorRemoved(address indexed validator, address actor);
    event ProviderAdded(address indexed provider, address actor);
    event ProviderRemoved(address indexed provider, address actor);
    event EidIssued(address indexed user, address indexed validator, uint8 loa, bytes32[] attrKeys,
                    bytes32[] commitments);
    event AttributesUpdated(address indexed user, address indexed validator, bytes32[] attrKeys,
                            bytes32[] commitments);
    event EidStatusChanged(address indexed user, address indexed validator, address actor, uint8 status);
    event ValidationRequested(address indexed provider, address indexed user, address indexed validator,
                              uint256 id, bytes32[] attrKeys, uint256 expiry);
    event ValidationAnswered(address indexed provider, address indexed user, address indexed validator,
                             uint256 id, bytes32[] attrKeys, bytes32[] commitments, uint8 loa, uint256 expiry);

    // ------------------------------------------------------------ state
    uint8 constant STATUS_NONE = 0;
    uint8 constant STATUS_ACTIVE = 1;
    uint8 constant STATUS_SUSPENDED = 2;
    uint8 constant STATUS_REVOKED = 3;
    uint8 constant REQUEST_OPEN = 1;
    uint8 constant REQUEST_ANSWERED = 2;
    uint8 constant LOA_LOW = 1;
    uint8 constant LOA_HIGH = 3;
    // Bounded gas per call; the embedded ledger refuses longer arrays too.
    uint256 constant MAX_ATTRIBUTES = 64;
    // Expiries are kept as signed 64-bit seconds, as the embedded ledger does.
    uint256 constant MAX_TIME = 0x7fffffffffffffff;
    // secp256k1 n / 2: larger s values are the malleable twin (EIP-2).
    uint256 constant HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    bytes32 constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 constant CONSENT_TYPEHASH =
        keccak256("Consent(address user,address provider,bytes32[] attrKeys,bytes32 nonce,uint256 expiry)");
    bytes32 constant NAME_HASH = keccak256("certME");
    bytes32 constant VERSION_HASH = keccak256("1");

    struct Eid {
        address validator;
        uint8 status;
        uint8 loa;
        uint64 issuedAt;
        uint64 updatedAt;
        bytes32[] attrKeys;     // parallel to commitments
        bytes32[] commitments;
        mapping(bytes32 => uint256) position;  // index + 1 into attrKeys; 0 = absent
    }

    struct Request {
        address provider;
        address user;
        address validator;
        uint8 status;
        uint8 loa;
        uint64 expiry;
        uint64 requestedAt;
        uint64 answeredAt;
        bytes32 nonce;
        bytes32[] attrKeys;
        bytes32[] commitments;
    }

    address public admin;
    mapping(address => bool) public isValidator;
    mapping(address => bool) public isProvider;
    mapping(address => Eid) private eids;
    Request[] private requests;  // id = index + 1
    mapping(address => mapping(bytes32 => bool)) private usedNonces;
    // Open requests per validator: ids, and each id's index + 1 there.
    mapping(address => uint256[]) private openIds;
    mapping(uint256 => uint256) private openPosition;

    constructor(address admin_) {
        if (admin_ == address(0)) revert ZeroAddress();
        admin = admin_;
        emit RegistryCreated(admin_);
    }

    // ------------------------------------------------------------ roles

    function addValidator(address validator) external {
        _checkRoleChange(validator);
        if (isValidator[validator]) revert AlreadyAuthorized(validator);
        isValidator[validator] = true;
        emit ValidatorAdded(validator, msg.sender);
    }

    function removeValidator(address validator) external {
        _checkRoleChange(validator);
        if (!isValidator[validator]) revert NotListed(validator);
        isValidator[validator] = false;
        emit ValidatorRemoved(validator, msg.sender);
    }

    function addProvider(address provider) external {
        _checkRoleChange(provider);
        if (isProvider[provider]) revert AlreadyAuthorized(provider);
        isProvider[provider] = true;
        emit ProviderAdded(provider, msg.sender);
    }

    function removeProvider(address provider) external {
        _checkRoleChange(provider);
        if (!isProvider[provider]) revert NotListed(provider);
        isProvider[provider] = false;
        emit ProviderRemoved(provider, msg.sender);
    }

    // ------------------------------------------------------------ eIDs

    function issueEid(address user, bytes32[] calldata attrKeys, bytes32[] calldata commitments, uint8 loa)
        external
    {
        if (!isValidator[msg.sender]) revert NotAuthorized();
        if (user == address(0)) revert ZeroAddress();
        _checkAttributeArrays(attrKeys, commitments);
        if (loa < LOA_LOW || loa > LOA_HIGH) revert InvalidLoa();
        Eid storage e = eids[user];
        if (e.status != STATUS_NONE) revert EidExists(user);
        e.validator = msg.sender;
        e.status = STATUS_ACTIVE;
        e.loa = loa;
        e.issuedAt = uint64(block.timestamp);
        e.updatedAt = uint64(block.timestamp);
        for (uint256 i = 0; i < attrKeys.length; ++i) {
            e.attrKeys.push(attrKeys[i]);
            e.commitments.push(commitments[i]);
            e.position[attrKeys[i]] = i + 1;
        }
        emit EidIssued(user, msg.sender, loa, attrKeys, commitments);
    }

    function updateAttributes(address user, bytes32[] calldata attrKeys, bytes32[] calldata commitments)
        external
    {
        if (!isValidator[msg.sender]) revert NotAuthorized();
        Eid storage e = eids[user];
        if (e.status == STATUS_NONE) revert NoEid(user);
        if (e.validator != msg.sender) revert NotEnrollingValidator();
        if (e.status != STATUS_ACTIVE) revert EidNotActive(e.status);
        _checkAttributeArrays(attrKeys, commitments);
        for (uint256 i = 0; i < attrKeys.length; ++i) {
            uint256 pos = e.position[attrKeys[i]];
            if (pos == 0) {
                e.attrKeys.push(attrKeys[i]);
                e.commitments.push(commitments[i]);
                e.position[attrKeys[i]] = e.attrKeys.length;
            } else {
                e.commitments[pos - 1] = commitments[i];
            }
        }
        e.updatedAt = uint64(block.timestamp);
        emit AttributesUpdated(user, msg.sender, attrKeys, commitments);
    }

    function suspendEid(address user) external {
        Eid storage e = _eidUnderAuthority(user);
        if (e.status != STATUS_ACTIVE) revert EidNotActive(e.status);
        _setStatus(user, e, STATUS_SUSPENDED);
    }

    function reactivateEid(address user) external {
        Eid storage e = _eidUnderAuthority(user);
        if (e.status != STATUS_SUSPENDED) revert NotSuspended(e.status);
        _setStatus(user, e, STATUS_ACTIVE);
    }

    // Final: a revoked address is never reissued (the user makes a new key).
    function revokeEid(address user) external {
        Eid storage e = _eidUnderAuthority(user);
        if (e.status == STATUS_REVOKED) revert EidNotActive(e.status);
        _setStatus(user, e, STATUS_REVOKED);
    }

    // ------------------------------------------------------------ validation requests

    function requestValidation(address user, bytes32[] calldata attrKeys, bytes32 nonce, uint256 expiry,
                               bytes calldata consentSig) external returns (uint256 id) {
        if (attrKeys.length > MAX_ATTRIBUTES || consentSig.length > 65) revert BadCalldata();
        if (!isProvider[msg.sender]) revert NotAuthorized();
        if (attrKeys.length == 0) revert EmptyAttributes();
        if (_hasDuplicates(attrKeys)) revert DuplicateAttribute();
        Eid storage e = eids[user];
        if (e.status == STATUS_NONE) revert NoEid(user);
        if (e.status != STATUS_ACTIVE) revert EidNotActive(e.status);
        for (uint256 i = 0; i < attrKeys.length; ++i) {
            if (e.position[attrKeys[i]] == 0) revert UnknownAttribute(attrKeys[i]);
        }
        uint256 clamped = expiry > MAX_TIME ? MAX_TIME : expiry;
        if (block.timestamp >= clamped) revert Expired();
        if (consentSig.length == 0) revert NoConsent();
        if (consentSig.length != 65) revert BadSignature();
        if (_consentSigner(user, attrKeys, nonce, expiry, consentSig) != user) revert BadSignature();
        if (usedNonces[user][nonce]) revert NonceUsed();

        usedNonces[user][nonce] = true;
        Request storage r = requests.push();
        id = requests.length;
        r.provider = msg.sender;
        r.user = user;
        r.validator = e.validator;
        r.status = REQUEST_OPEN;
        r.expiry = uint64(clamped);
        r.requestedAt = uint64(block.timestamp);
        r.nonce = nonce;
        r.attrKeys = attrKeys;
        openIds[e.validator].push(id);
        openPosition[id] = openIds[e.validator].length;
        emit ValidationRequested(msg.sender, user, e.validator, id, attrKeys, clamped);
    }

    function answerValidation(uint256 id, bytes32[] calldata commitments, uint8 loa) external {
        if (commitments.length > MAX_ATTRIBUTES) revert BadCalldata();
        if (id == 0 || id > requests.length) revert UnknownRequest(id);
        Request storage r = requests[id - 1];
        if (!isValidator[msg.sender]) revert NotAuthorized();
        if (r.validator != msg.sender) revert NotEnrollingValidator();
        if (r.status != REQUEST_OPEN) revert AlreadyAnswered(id);
        if (block.timestamp >= r.expiry) revert Expired();
        Eid storage e = eids[r.user];
        if (e.status != STATUS_ACTIVE) revert EidNotActive(e.status);
        if (commitments.length != r.attrKeys.length) revert LengthMismatch();
        if (loa < LOA_LOW || loa > e.loa) revert InvalidLoa();
        for (uint256 i = 0; i < r.attrKeys.length; ++i) {
            uint256 pos = e.position[r.attrKeys[i]];
            if (pos == 0 || e.commitments[pos - 1] != commitments[i]) revert CommitmentMismatch(r.attrKeys[i]);
        }
        r.status = REQUEST_ANSWERED;
        r.commitments = commitments;
        r.loa = loa;
        r.answeredAt = uint64(block.timestamp);
        _closeRequest(r.validator, id);
        emit ValidationAnswered(r.provider, r.user, msg.sender, id, r.attrKeys, commitments, loa, r.expiry);
    }

    // ------------------------------------------------------------ views

    function getEid(address user) external view returns (address validator, uint8 status, uint8 loa,
        uint64 issuedAt, uint64 updatedAt, bytes32[] memory attrKeys, bytes32[] memory commitments) {
        Eid storage e = eids[user];
        return (e.validator, e.status, e.loa, e.issuedAt, e.updatedAt, e.attrKeys, e.commitments);
    }

    function eidStatus(address user) external view returns (uint8) {
        return eids[user].status;
    }

    function getRequest(uint256 id) external view returns (address provider, address user, address validator,
        uint8 status, uint8 loa, bytes32 nonce, uint64 expiry, uint64 requestedAt, uint64 answeredAt,
        bytes32[] memory attrKeys, bytes32[] memory commitments) {
        if (id == 0 || id > requests.length) revert UnknownRequest(id);
        Request storage r = requests[id - 1];
        return (r.provider, r.user, r.validator, r.status, r.loa, r.nonce, r.expiry, r.requestedAt, r.answeredAt,
                r.attrKeys, r.commitments);
    }

    function requestCount() external view returns (uint256) {
        return requests.length;
    }

    function isConsentNonceUsed(address user, bytes32 nonce) external view returns (bool) {
        return usedNonces[user][nonce];
    }

    // Ids of the requests addressed to `validator` that are not answered
    // (expired ones included: the caller compares with its own time).
    function openRequestIds(address validator) external view returns (uint256[] memory) {
        return openIds[validator];
    }

    function domainSeparator() public view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, address(this)));
    }

    // ------------------------------------------------------------ internals

    function _checkRoleChange(address account) private view {
        if (msg.sender != admin) revert NotAuthorized();
        if (account == address(0)) revert ZeroAddress();
    }

    function _checkAttributeArrays(bytes32[] calldata attrKeys, bytes32[] calldata commitments) private pure {
        if (attrKeys.length > MAX_ATTRIBUTES || commitments.length > MAX_ATTRIBUTES) revert BadCalldata();
        if (attrKeys.length == 0) revert EmptyAttributes();
        if (attrKeys.length != commitments.length) revert LengthMismatch();
        if (_hasDuplicates(attrKeys)) revert DuplicateAttribute();
    }

    function _hasDuplicates(bytes32[] calldata keys) private pure returns (bool) {
        for (uint256 i = 1; i < keys.length; ++i) {
            for (uint256 j = 0; j < i; ++j) {
                if (keys[i] == keys[j]) return true;
            }
        }
        return false;
    }

    // The administrator, or the eID's enrolling validator while authorized.
    function _eidUnderAuthority(address user) private view returns (Eid storage e) {
        e = eids[user];
        if (e.status == STATUS_NONE) revert NoEid(user);
        if (msg.sender == admin) return e;
        if (!isValidator[msg.sender]) revert NotAuthorized();
        if (e.validator != msg.sender) revert NotEnrollingValidator();
    }

    function _setStatus(address user, Eid storage e, uint8 to) private {
        e.status = to;
        e.updatedAt = uint64(block.timestamp);
        emit EidStatusChanged(user, e.validator, msg.sender, to);
    }

    function _closeRequest(address validator, uint256 id) private {
        uint256[] storage ids = openIds[validator];
        uint256 pos = openPosition[id];
        uint256 last = ids[ids.length - 1];
        ids[pos - 1] = last;
        openPosition[last] = pos;
        ids.pop();
        delete openPosition[id];
    }

    // EIP-712: the consent is signed for this provider (msg.sender), these
    // keys in this order, this nonce and expiry, this chain and registry.
    // Returns address(0) for a malformed or malleable (high-s) signature.
    function _consentSigner(address user, bytes32[] calldata attrKeys, bytes32 nonce, uint256 expiry,
                            bytes calldata sig) private view returns (address) {
        bytes32 structHash = keccak256(abi.encode(CONSENT_TYPEHASH, user, msg.sender,
                                                  keccak256(abi.encodePacked(attrKeys)), nonce, expiry));
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", domainSeparator(), structHash));
        bytes32 r = bytes32(sig[0:32]);
        bytes32 s = bytes32(sig[32:64]);
        uint8 v = uint8(sig[64]);
        if (v != 27 && v != 28) return address(0);
        if (uint256(s) > HALF_N) return address(0);
        return ecrecover(digest, v, r, s);
    }
}
