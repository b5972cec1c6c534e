// Prints the reference configuration. config/certme.yaml is this output:
//   build/config/certme_config_reference > config/certme.yaml
#include <iostream>

#include "config/config.h"

int main() {
  std::cout << certme::RenderReferenceYaml();
  return std::cout.good() ? 0 : 1;
}
