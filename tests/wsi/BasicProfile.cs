// Checks WSDL files against WS-I Basic Profile 1.1 with the checker of the
// System.Web.Services library (Mono's implementation of .NET's
// WebServicesInteroperability.CheckConformance). Prints one line per file, "conforms"
// or the requirements it breaks (R2706, R2204, ...), and exits 1 if any file breaks
// one. Only the WSDL itself is checked: its imported schemas are not loaded.
//
//     mcs -r:System.Web.Services -out:BasicProfile.exe BasicProfile.cs
//     mono BasicProfile.exe FILE.wsdl...
using System;
using System.Web.Services;
using System.Web.Services.Description;

public static class BasicProfile {
    public static int Main(string[] files) {
        int failing = 0;
        foreach (string file in files) {
            ServiceDescription description = ServiceDescription.Read(file);
            BasicProfileViolationCollection violations = new BasicProfileViolationCollection();
            if (WebServicesInteroperability.CheckConformance(
                    WsiProfiles.BasicProfile1_1, description, violations)) {
                Console.WriteLine(file + ": conforms");
                continue;
            }
            failing++;
            foreach (BasicProfileViolation violation in violations) {
                Console.WriteLine(file + ": " + violation.NormativeStatement + " "
                    + violation.Details);
            }
        }
        return failing == 0 ? 0 : 1;
    }
}
