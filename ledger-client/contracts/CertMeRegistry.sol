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
//
// Version 2 (docs/ledger-evm.md "Contract versions"): two-step administrator
// transfer, eIDs moved off a removed validator and re-attested, consent
// nonces per (user, provider), enrolment signed by the user, and a migration
// window that imports a version 1 registry's roles and eIDs through its views.
// Also in version 2: recordAccess, a provider's access records as events
// only (AccessRecorded; docs/privacy.md): nothing of them is stored; and
// recordSignatures, the hash-only record that an active eID signed a digest
// for a sign request at a time (SignatureRecorded; docs/ledger.md).
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
    error ValidatorNotAuthorized(address validator);
    error NotMoved(uint8 status);
    error MigrationClosed();
    error AlreadySigned(bytes32 digest);

    // ------------------------------------------------------------ events
    // user, provider and validator are indexed (topics), so a client can
    // select by any of them; `actor` is msg.sender.
    event RegistryCreated(address indexed admin);
    event AdminTransferProposed(address indexed proposed, address actor);
    event AdminTransferred(address indexed admin, address previous);
    event EidMoved(address indexed user, address indexed validator, address previous, address actor);
    event EidReattested(address indexed user, address indexed validator, uint8 loa, bytes32[] attrKeys,
                        bytes32[] commitments);
    event EidImported(address indexed user, address indexed validator, uint8 status, uint8 loa,
                      bytes32[] attrKeys, bytes32[] commitments);
    event MigrationFinished(address indexed source, address actor);
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
    // One per access record: the tag only the user and the provider can
    // recompute, and the record sealed to both of them.
    event AccessRecorded(address indexed provider, bytes32 indexed tag, bytes record);
    // One per recorded signature: the user's eID, active at this block,
    // signed `digest` for the sign request `request` at `signedAt`.
    event SignatureRecorded(address indexed provider, address indexed user, bytes32 indexed digest,
                            bytes32 request, uint256 signedAt);

    // ------------------------------------------------------------ state
    uint8 constant STATUS_NONE = 0;
    uint8 constant STATUS_ACTIVE = 1;
    uint8 constant STATUS_SUSPENDED = 2;
    uint8 constant STATUS_REVOKED = 3;
    // Moved to another validator by the administrator; no request is
    // accepted until that validator re-attests the commitments.
    uint8 constant STATUS_MOVED = 4;
    uint8 constant REQUEST_OPEN = 1;
    uint8 constant REQUEST_ANSWERED = 2;
    uint8 constant LOA_LOW = 1;
    uint8 constant LOA_HIGH = 3;
    // Bounded gas per call; the embedded ledger refuses longer arrays too.
    uint256 constant MAX_ATTRIBUTES = 64;
    // Expiries and request ids are signed 64-bit values, as the embedded
    // ledger keeps them; larger arguments are malformed calldata.
    uint256 constant MAX_INT64 = 0x7fffffffffffffff;
    // The open set is read in pages of at most MAX_PAGE ids, and pruned at
    // most MAX_PRUNE entries per call; every new request (and answer) first
    // prunes PRUNE_ON_WRITE entries, so expired requests cannot pile up.
    uint256 constant MAX_PAGE = 1024;
    uint256 constant MAX_PRUNE = 256;
    uint256 constant PRUNE_ON_WRITE = 2;
    // recordAccess: records per call, and bytes per sealed record.
    uint256 constant MAX_RECORDS = 64;
    uint256 constant MAX_SEALED = 1024;
    // recordSignatures: signatures per call; the signing time may be at most
    // SIGNED_AHEAD seconds after the block's time and SIGNED_BEHIND before it.
    uint256 constant MAX_SIGNATURES = 64;
    uint256 constant SIGNED_AHEAD = 60;
    uint256 constant SIGNED_BEHIND = 600;
    // secp256k1 n / 2: larger s values are the malleable twin (EIP-2).
    uint256 constant HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    bytes32 constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 constant CONSENT_TYPEHASH =
        keccak256("Consent(address user,address provider,bytes32[] attrKeys,bytes32 nonce,uint256 expiry)");
    bytes32 constant ENROLMENT_TYPEHASH = keccak256(
        "Enrolment(address user,address validator,bytes32[] attrKeys,bytes32[] commitments,uint8 loa,uint256 deadline)");
    bytes32 constant SIGNED_DIGEST_TYPEHASH = keccak256(
        "SignedDigest(address user,address provider,bytes32 digest,bytes32 request,uint256 signedAt)");
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
    // The key proposed by the administrator; it becomes the administrator
    // when it calls acceptAdmin(). address(0) = no proposal.
    address public pendingAdmin;
    // The version 1 registry being imported from; address(0) once the
    // administrator closes the migration window (or when there is none).
    address public migrationSource;
    mapping(address => bool) public isValidator;
    mapping(address => bool) public isProvider;
    mapping(address => Eid) private eids;
    Request[] private requests;  // id = index + 1
    // user => provider => nonce: one provider cannot use up another's consent.
    mapping(address => mapping(address => mapping(bytes32 => bool))) private usedNonces;
    // Open requests per validator: ids, and each id's index + 1 there.
    mapping(address => uint256[]) private openIds;
    mapping(uint256 => uint256) private openPosition;
    // Where the next pruning pass starts in openIds[validator].
    mapping(address => uint256) private pruneCursor;
    // keccak256(abi.encode(user, provider, digest)) => recorded: one slot per
    // signature record, so a digest is recorded once per user and provider.
    mapping(bytes32 => bool) private signedDigests;

    // source_: a version 1 registry to import from (address(0): none).
    constructor(address admin_, address source_) {
        if (admin_ == address(0)) revert ZeroAddress();
        admin = admin_;
        migrationSource = source_;
        emit RegistryCreated(admin_);
    }

    // ------------------------------------------------------------ administrator

    // Proposes `proposed` as the next administrator (replacing any earlier
    // proposal); address(0) cancels the proposal.
    function proposeAdmin(address proposed) external {
        if (msg.sender != admin) revert NotAuthorized();
        if (proposed == admin) revert AlreadyAuthorized(proposed);
        pendingAdmin = proposed;
        emit AdminTransferProposed(proposed, msg.sender);
    }

    // The proposed key takes over; the previous administrator loses every right.
    function acceptAdmin() external {
        if (pendingAdmin == address(0) || msg.sender != pendingAdmin) revert NotAuthorized();
        address previous = admin;
        admin = msg.sender;
        pendingAdmin = address(0);
        emit AdminTransferred(msg.sender, previous);
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

    // userSig: the user's EIP-712 signature over Enrolment(user, this
    // validator, attrKeys, commitments, loa, deadline): no eID without the
    // key of the address it is issued to.
    function issueEid(address user, bytes32[] calldata attrKeys, bytes32[] calldata commitments, uint8 loa,
                      uint256 deadline, bytes calldata userSig) external {
        _checkArrayBounds(attrKeys, commitments);
        if (userSig.length > 65 || deadline > MAX_INT64) revert BadCalldata();
        if (!isValidator[msg.sender]) revert NotAuthorized();
        if (user == address(0)) revert ZeroAddress();
        _checkAttributeArrays(attrKeys, commitments);
        if (loa < LOA_LOW || loa > LOA_HIGH) revert InvalidLoa();
        Eid storage e = eids[user];
        if (e.status != STATUS_NONE) revert EidExists(user);
        if (block.timestamp >= deadline) revert Expired();
        if (userSig.length == 0) revert NoConsent();
        if (userSig.length != 65) revert BadSignature();
        bytes32 structHash = keccak256(abi.encode(ENROLMENT_TYPEHASH, user, msg.sender,
            keccak256(abi.encodePacked(attrKeys)), keccak256(abi.encodePacked(commitments)), loa, deadline));
        if (_signer(structHash, userSig) != user) revert BadSignature();
        e.validator = msg.sender;
        e.status = STATUS_ACTIVE;
        e.loa = loa;
        e.issuedAt = uint64(block.timestamp);
        e.updatedAt = uint64(block.timestamp);
        _setAttributes(e, attrKeys, commitments);
        emit EidIssued(user, msg.sender, loa, attrKeys, commitments);
    }

    function updateAttributes(address user, bytes32[] calldata attrKeys, bytes32[] calldata commitments)
        external
    {
        _checkArrayBounds(attrKeys, commitments);
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

    // The administrator hands an active (or already moved) eID to another
    // authorized validator, e.g. when its validator is removed. The eID is
    // `moved` until that validator re-attests it: no request is accepted.
    function moveEid(address user, address validator) external {
        if (msg.sender != admin) revert NotAuthorized();
        if (validator == address(0)) revert ZeroAddress();
        if (!isValidator[validator]) revert ValidatorNotAuthorized(validator);
        Eid storage e = eids[user];
        if (e.status == STATUS_NONE) revert NoEid(user);
        if (e.status != STATUS_ACTIVE && e.status != STATUS_MOVED) revert EidNotActive(e.status);
        address previous = e.validator;
        e.validator = validator;
        e.status = STATUS_MOVED;
        e.updatedAt = uint64(block.timestamp);
        emit EidMoved(user, validator, previous, msg.sender);
    }

    // The eID's new validator, having verified the user again, states the
    // attributes (they replace the previous set) and level; the eID is active.
    function reattestEid(address user, bytes32[] calldata attrKeys, bytes32[] calldata commitments, uint8 loa)
        external
    {
        _checkArrayBounds(attrKeys, commitments);
        if (!isValidator[msg.sender]) revert NotAuthorized();
        Eid storage e = eids[user];
        if (e.status == STATUS_NONE) revert NoEid(user);
        if (e.validator != msg.sender) revert NotEnrollingValidator();
        if (e.status != STATUS_MOVED) revert NotMoved(e.status);
        _checkAttributeArrays(attrKeys, commitments);
        if (loa < LOA_LOW || loa > LOA_HIGH) revert InvalidLoa();
        for (uint256 i = 0; i < e.attrKeys.length; ++i) delete e.position[e.attrKeys[i]];
        delete e.attrKeys;
        delete e.commitments;
        _setAttributes(e, attrKeys, commitments);
        e.status = STATUS_ACTIVE;
        e.loa = loa;
        e.updatedAt = uint64(block.timestamp);
        emit EidReattested(user, msg.sender, loa, attrKeys, commitments);
    }

    // ------------------------------------------------------------ migration from version 1

    // Copies the roles `accounts` hold in the source registry (read through
    // its views, so nothing can be invented) while the window is open.
    function importRoles(address[] calldata accounts) external {
        address source = _migrationSource();
        for (uint256 i = 0; i < accounts.length; ++i) {
            address a = accounts[i];
            if (!isValidator[a] && CertMeRegistry(source).isValidator(a)) {
                isValidator[a] = true;
                emit ValidatorAdded(a, msg.sender);
            }
            if (!isProvider[a] && CertMeRegistry(source).isProvider(a)) {
                isProvider[a] = true;
                emit ProviderAdded(a, msg.sender);
            }
        }
    }

    // Copies the source's eIDs of `users`: validator, status, level,
    // commitments and times as they are there. Refuses one already here.
    function importEids(address[] calldata users) external {
        address source = _migrationSource();
        for (uint256 i = 0; i < users.length; ++i) {
            address user = users[i];
            Eid storage e = eids[user];
            if (e.status != STATUS_NONE) revert EidExists(user);
            (address validator, uint8 status, uint8 loa, uint64 issuedAt, uint64 updatedAt,
             bytes32[] memory keys, bytes32[] memory commitments) = CertMeRegistry(source).getEid(user);
            if (status == STATUS_NONE) revert NoEid(user);
            e.validator = validator;
            e.status = status;
            e.loa = loa;
            e.issuedAt = issuedAt;
            e.updatedAt = updatedAt;
            for (uint256 j = 0; j < keys.length; ++j) {
                e.attrKeys.push(keys[j]);
                e.commitments.push(commitments[j]);
                e.position[keys[j]] = j + 1;
            }
            emit EidImported(user, validator, status, loa, keys, commitments);
        }
    }

    // Ends the migration for good: no import after this.
    function closeMigration() external {
        address source = _migrationSource();
        migrationSource = address(0);
        emit MigrationFinished(source, msg.sender);
    }

    // ------------------------------------------------------------ validation requests

    function requestValidation(address user, bytes32[] calldata attrKeys, bytes32 nonce, uint256 expiry,
                               bytes calldata consentSig) external returns (uint256 id) {
        if (attrKeys.length > MAX_ATTRIBUTES || consentSig.length > 65 || expiry > MAX_INT64) revert BadCalldata();
        if (!isProvider[msg.sender]) revert NotAuthorized();
        if (attrKeys.length == 0) revert EmptyAttributes();
        if (_hasDuplicates(attrKeys)) revert DuplicateAttribute();
        Eid storage e = eids[user];
        if (e.status == STATUS_NONE) revert NoEid(user);
        if (e.status != STATUS_ACTIVE) revert EidNotActive(e.status);
        // A removed validator can answer nothing: refuse before the nonce is used.
        if (!isValidator[e.validator]) revert ValidatorNotAuthorized(e.validator);
        for (uint256 i = 0; i < attrKeys.length; ++i) {
            if (e.position[attrKeys[i]] == 0) revert UnknownAttribute(attrKeys[i]);
        }
        if (block.timestamp >= expiry) revert Expired();
        if (consentSig.length == 0) revert NoConsent();
        if (consentSig.length != 65) revert BadSignature();
        if (_consentSigner(user, attrKeys, nonce, expiry, consentSig) != user) revert BadSignature();
        if (usedNonces[user][msg.sender][nonce]) revert NonceUsed();

        usedNonces[user][msg.sender][nonce] = true;
        Request storage r = requests.push();
        id = requests.length;
        r.provider = msg.sender;
        r.user = user;
        r.validator = e.validator;
        r.status = REQUEST_OPEN;
        r.expiry = uint64(expiry);
        r.requestedAt = uint64(block.timestamp);
        r.nonce = nonce;
        r.attrKeys = attrKeys;
        _pruneExpired(e.validator, PRUNE_ON_WRITE);
        openIds[e.validator].push(id);
        openPosition[id] = openIds[e.validator].length;
        emit ValidationRequested(msg.sender, user, e.validator, id, attrKeys, expiry);
    }

    function answerValidation(uint256 id, bytes32[] calldata commitments, uint8 loa) external {
        if (commitments.length > MAX_ATTRIBUTES || id > MAX_INT64) revert BadCalldata();
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
        _pruneExpired(r.validator, PRUNE_ON_WRITE);
        emit ValidationAnswered(r.provider, r.user, msg.sender, id, r.attrKeys, commitments, loa, r.expiry);
    }

    // ------------------------------------------------------------ access records

    // An authorized provider records accesses: one AccessRecorded event per
    // (tag, sealed record) pair, in order. Nothing is stored: the records live in
    // the chain's logs, readable by anyone and openable only by the user
    // and the provider (docs/privacy.md).
    function recordAccess(bytes32[] calldata tags, bytes[] calldata records) external {
        if (tags.length > MAX_RECORDS || records.length > MAX_RECORDS) revert BadCalldata();
        for (uint256 i = 0; i < records.length; ++i) {
            if (records[i].length == 0 || records[i].length > MAX_SEALED) revert BadCalldata();
        }
        if (!isProvider[msg.sender]) revert NotAuthorized();
        if (tags.length == 0) revert EmptyAttributes();
        if (tags.length != records.length) revert LengthMismatch();
        for (uint256 i = 0; i < tags.length; ++i) {
            emit AccessRecorded(msg.sender, tags[i], records[i]);
        }
    }

    // ------------------------------------------------------------ signature records

    // An authorized provider records that `user`'s eID, active now, signed
    // each digest for the sign request `request` at `signedAt` (within
    // SIGNED_BEHIND before and SIGNED_AHEAD after this block's time): one
    // SignatureRecorded event per digest, in order. Each signature is the
    // user's EIP-712 SignedDigest for this provider (msg.sender), digest,
    // request and time. Hash only: the ledger never sees the document.
    function recordSignatures(address user, bytes32 request, uint256 signedAt, bytes32[] calldata digests,
                              bytes[] calldata signatures) external {
        if (signedAt > MAX_INT64) revert BadCalldata();
        if (digests.length > MAX_SIGNATURES || signatures.length > MAX_SIGNATURES) revert BadCalldata();
        for (uint256 i = 0; i < signatures.length; ++i) {
            if (signatures[i].length > 65) revert BadCalldata();
        }
        if (!isProvider[msg.sender]) revert NotAuthorized();
        if (digests.length == 0) revert EmptyAttributes();
        if (digests.length != signatures.length) revert LengthMismatch();
        uint8 status = eids[user].status;
        if (status == STATUS_NONE) revert NoEid(user);
        if (status != STATUS_ACTIVE) revert EidNotActive(status);
        if (signedAt > block.timestamp + SIGNED_AHEAD || signedAt + SIGNED_BEHIND < block.timestamp) {
            revert Expired();
        }
        for (uint256 i = 0; i < digests.length; ++i) {
            bytes32 structHash =
                keccak256(abi.encode(SIGNED_DIGEST_TYPEHASH, user, msg.sender, digests[i], request, signedAt));
            if (signatures[i].length != 65 || _signer(structHash, signatures[i]) != user) revert BadSignature();
            bytes32 slot = keccak256(abi.encode(user, msg.sender, digests[i]));
            if (signedDigests[slot]) revert AlreadySigned(digests[i]);
            signedDigests[slot] = true;
            emit SignatureRecorded(msg.sender, user, digests[i], request, signedAt);
        }
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

    function isConsentNonceUsed(address user, address provider, bytes32 nonce) external view returns (bool) {
        return usedNonces[user][provider][nonce];
    }

    // The open set of `validator`: requests not answered and not yet pruned
    // (expired ones stay until a write or pruneExpired removes them).
    function openRequestCount(address validator) external view returns (uint256) {
        return openIds[validator].length;
    }

    // Entries [start, start + count) of the open set (count at most
    // MAX_PAGE), with each request's expiry so that a reader can skip the
    // expired ones without reading them. Read every page at one block: a
    // removal moves the last entry into the removed one's place.
    function openRequestIds(address validator, uint256 start, uint256 count)
        external view returns (uint256[] memory ids, uint64[] memory expiries)
    {
        if (count > MAX_PAGE) revert BadCalldata();
        uint256[] storage all = openIds[validator];
        uint256 end = start >= all.length ? start : (count > all.length - start ? all.length : start + count);
        ids = new uint256[](end - start);
        expiries = new uint64[](end - start);
        for (uint256 i = start; i < end; ++i) {
            ids[i - start] = all[i];
            expiries[i - start] = requests[all[i] - 1].expiry;
        }
    }

    // Anyone may prune: examines at most `max` (1..MAX_PRUNE) entries of
    // `validator`'s open set, from where the previous pass stopped, and
    // removes the expired ones. The requests themselves stay readable.
    function pruneExpired(address validator, uint256 max) external returns (uint256 removed) {
        if (max == 0 || max > MAX_PRUNE) revert BadCalldata();
        return _pruneExpired(validator, max);
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

    // The bounds the embedded ledger's ABI decoder enforces: checked first,
    // before any role, as a malformed call is refused there.
    function _checkArrayBounds(bytes32[] calldata attrKeys, bytes32[] calldata commitments) private pure {
        if (attrKeys.length > MAX_ATTRIBUTES || commitments.length > MAX_ATTRIBUTES) revert BadCalldata();
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

    function _setAttributes(Eid storage e, bytes32[] calldata attrKeys, bytes32[] calldata commitments) private {
        for (uint256 i = 0; i < attrKeys.length; ++i) {
            e.attrKeys.push(attrKeys[i]);
            e.commitments.push(commitments[i]);
            e.position[attrKeys[i]] = i + 1;
        }
    }

    function _migrationSource() private view returns (address source) {
        if (msg.sender != admin) revert NotAuthorized();
        source = migrationSource;
        if (source == address(0)) revert MigrationClosed();
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

    // Examines up to `max` entries of the open set from the cursor (wrapping
    // at the end) and removes the expired ones; a removal fills the slot
    // with the last entry, which is examined next.
    function _pruneExpired(address validator, uint256 max) private returns (uint256 removed) {
        uint256[] storage ids = openIds[validator];
        uint256 i = pruneCursor[validator];
        for (uint256 n = 0; n < max && ids.length > 0; ++n) {
            if (i >= ids.length) i = 0;
            uint256 id = ids[i];
            if (block.timestamp >= requests[id - 1].expiry) {
                _closeRequest(validator, id);
                ++removed;
            } else {
                ++i;
            }
        }
        pruneCursor[validator] = i;
    }

    // EIP-712: the consent is signed for this provider (msg.sender), these
    // keys in this order, this nonce and expiry, this chain and registry.
    // Returns address(0) for a malformed or malleable (high-s) signature.
    function _consentSigner(address user, bytes32[] calldata attrKeys, bytes32 nonce, uint256 expiry,
                            bytes calldata sig) private view returns (address) {
        bytes32 structHash = keccak256(abi.encode(CONSENT_TYPEHASH, user, msg.sender,
                                                  keccak256(abi.encodePacked(attrKeys)), nonce, expiry));
        return _signer(structHash, sig);
    }

    // The EIP-712 signer of `structHash` in this registry's domain;
    // address(0) for a malformed or malleable (high-s) signature.
    function _signer(bytes32 structHash, bytes calldata sig) private view returns (address) {
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", domainSeparator(), structHash));
        bytes32 r = bytes32(sig[0:32]);
        bytes32 s = bytes32(sig[32:64]);
        uint8 v = uint8(sig[64]);
        if (v != 27 && v != 28) return address(0);
        if (uint256(s) > HALF_N) return address(0);
        return ecrecover(digest, v, r, s);
    }
}
