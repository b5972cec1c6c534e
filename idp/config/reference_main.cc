// Prints the reference configuration. config/certme.yaml is this output:
//   build/idp/config/certme_config_reference > config/certme.yaml
#include <iostream>

#include "idp/config/config.h"

int main() {
  std::cout << certme::RenderReferenceYaml();
  return std::cout.good() ? 0 : 1;
}
