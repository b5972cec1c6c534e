#include "idp/provider_accounts.h"

#include "common/log.h"
#include "common/secret.h"
#include "ledger-client/key_file.h"

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
