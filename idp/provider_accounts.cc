#include "idp/provider_accounts.h"

#include "common/log.h"
#include "common/secret.h"
#include "idp/idp_server.h"
#include "ledger-client/key_file.h"
#include "store/store.h"

namespace certme {

StatusOr<std::unique_ptr<ProviderKeys>> OpenProviderKeys(const Config& c, Store& store, const EnvLookup& env) {
  const LedgerConfig& l = c.ledger;
  if (l.provider_accounts == kProviderAccountsHub) {
    auto kek = ReadKekFile(l.provider_kek_file);
    if (!kek.ok()) return kek.status();
    auto keys = NewStoreProviderKeys(store, std::move(*kek), SystemRandom());
    CERTME_RETURN_IF_ERROR(CheckProviderKeys(store, *keys, l.provider_kek_file));
    return keys;
  }
  Secret password;
  if (!l.provider_key_password_env.empty()) {
    auto v = env(l.provider_key_password_env);
    if (!v)
      return FailedPrecondition("ledger.provider_key_password_env: " + l.provider_key_password_env + " is not set");
    password = Secret(std::move(*v));
  }
  auto key = ReadServiceKeyFile(l.provider_key_file, &password);
  if (!key.ok())
    return FailedPrecondition("the provider key (ledger.provider_key_file) cannot be used: " +
                              key.status().ToString());
  return NewSingleProviderKey(std::move(*key));
}

std::function<std::optional<admin::ProviderAccount>(std::string_view, bool)> ConsoleProviderAccounts(
    ProviderKeys* keys, Ledger* ledger) {
  if (!keys || !ledger || keys->Dedicated()) return {};
  return [keys, ledger](std::string_view id, bool create) -> std::optional<admin::ProviderAccount> {
    StatusOr<std::string> address = NotFound("");
    if (create) {
      auto key = keys->Ensure(id);
      address = key.ok() ? StatusOr<std::string>(key->address()) : StatusOr<std::string>(key.status());
    } else {
      address = keys->Address(id);
    }
    admin::ProviderAccount a;
    if (!address.ok()) {
      if (address.status().code() != StatusCode::kNotFound)
        LogWarn("provider account not available", {{"service", std::string(id)}, {"detail", address.status().ToString()}});
      a.authorized = "no";
      return a;  // no key yet: made at the bridge's next start or first login
    }
    a.address = ChecksumAddress(*address);
    auto authorized = ledger->IsProvider(*address);
    a.authorized = !authorized.ok() ? "unknown" : *authorized ? "yes" : "no";
    return a;
  };
}

StatusOr<std::string> RegisteredServiceAddress(const std::string& config_path, const std::string& service_id) {
  CERTME_ASSIGN_OR_RETURN(Config c, LoadConfig(config_path, SystemEnv()));
  if (c.ledger.provider_accounts != kProviderAccountsHub)
    return FailedPrecondition("services have their own provider accounts in hub mode only "
                              "(ledger.provider_accounts); give the 0x address or key file");
  CERTME_ASSIGN_OR_RETURN(auto store, OpenConfiguredStore(c));
  auto address = StoredProviderAddress(*store, service_id);
  if (address.status().code() == StatusCode::kNotFound)
    return NotFound("no service \"" + service_id + "\" with a provider key in the store (register it, or start the bridge once)");
  return address;
}

StatusOr<size_t> EnsureProviderKeys(ProviderKeys& keys, const std::vector<std::string>& service_ids) {
  if (keys.Dedicated()) return size_t{0};
  size_t created = 0;
  for (const auto& id : service_ids) {
    auto existing = keys.Address(id);
    if (existing.ok()) continue;
    if (existing.status().code() != StatusCode::kNotFound) return existing.status();
    CERTME_ASSIGN_OR_RETURN(EthKey key, keys.Ensure(id));
    ++created;
    LogInfo("created the provider key of a service; the scheme administrator authorizes it with "
            "`certme admin authorize-provider`",
            {{"service", id}, {"provider", key.AddressHex()}});
  }
  return created;
}

}  // namespace certme
