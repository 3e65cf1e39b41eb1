"""What the certificate says, in Dutch, French and English: the static text of the page.

One tuple per language: (nl, fr, en). English is printed only when asked for. Kept apart from the
layout so a change of wording is a change of this file alone (the tests read these texts back from the
PDF).
"""

TITLE = ("Veiligheidsadvies", "Avis de sécurité", "Security advice")
SUBTITLE = (
    "Attest van een positief veiligheidsadvies voor een kritieke functie in de haven",
    "Attestation d'un avis de sécurité positif pour une fonction critique portuaire",
    "Certificate of a positive security advice for a critical port function",
)
STATEMENT = (
    "De Nationale Veiligheidsoverheid bevestigt dat zij over de hieronder vermelde persoon een positief "
    "veiligheidsadvies heeft uitgebracht, geldig voor de vermelde periode, krachtens het Belgisch "
    "Scheepvaartwetboek, art. 2.5.2.97 en 2.5.2.98.",
    "L'Autorité nationale de Sécurité confirme avoir rendu un avis de sécurité positif concernant la "
    "personne mentionnée ci-dessous, valable pour la période indiquée, en vertu du Code belge de la "
    "Navigation, art. 2.5.2.97 et 2.5.2.98.",
    "The National Security Authority confirms that it has issued a positive security advice on the person "
    "named below, valid for the period stated, under the Belgian Shipping Code, art. 2.5.2.97 and 2.5.2.98.",
)
LABELS = {
    "holder": ("Naam en voornamen", "Nom et prénoms", "Name"),
    "birth": ("Geboortedatum", "Date de naissance", "Date of birth"),
    "national_number": ("Rijksregisternummer", "Numéro de registre national", "National register number"),
    "advice": ("Advies", "Avis", "Advice"),
    "functions": ("Kritieke functie(s)", "Fonction(s) critique(s)", "Critical function(s)"),
    "valid_from": ("Geldig vanaf", "Valable à partir du", "Valid from"),
    "valid_until": ("Geldig tot en met", "Valable jusqu'au", "Valid until"),
    "reference": ("Referentie", "Référence", "Reference"),
    "authority": ("Uitgereikt door", "Délivré par", "Issued by"),
    "issued": ("Datum van uitgifte", "Date de délivrance", "Date of issue"),
}
POSITIVE = ("POSITIEF", "POSITIF", "POSITIVE")
NOT_APPLICABLE = "—"
AUTHORITY = ("Nationale Veiligheidsoverheid", "Autorité nationale de Sécurité", "National Security Authority")
COUNTRY = "België · Belgique"
#: Digits are equally wide in DejaVu, so text wrapped around this placeholder stays wrapped with a date.
DATE_PLACEHOLDER = "00.00.0000"
SIGNED = (
    f"Elektronisch ondertekend door de Nationale Veiligheidsoverheid op {DATE_PLACEHOLDER}. "
    "Dit attest is geldig zonder handgeschreven handtekening.",
    f"Signé électroniquement par l'Autorité nationale de Sécurité le {DATE_PLACEHOLDER}. "
    "Cette attestation est valable sans signature manuscrite.",
    f"Electronically signed by the National Security Authority on {DATE_PLACEHOLDER}. "
    "This certificate is valid without a handwritten signature.",
)
VERIFY_HEADING = (
    "Echtheid en actuele status",
    "Authenticité et statut actuel",
    "Authenticity and current status",
)
VERIFY_TEXT = (
    "Scan de QR-code, of ga naar {site} en voer de verificatiecode onder de QR-code in.",
    "Scannez le code QR, ou allez sur {site} et saisissez le code de vérification sous le code QR.",
    "Scan the QR code, or go to {site} and enter the verification code printed below it.",
)
OFFLINE_TEXT = (
    "Offline: de handtekening (Ed25519) in de QR-code is controleerbaar met de publieke sleutel van de NVO.",
    "Hors ligne : la signature numérique (Ed25519) du code QR se vérifie avec la clé publique de l'ANS.",
    "Offline: the digital signature (Ed25519) in the QR code can be checked with the Authority's public key.",
)
NOTICE = (
    "Dit attest geeft het advies weer op de datum van uitgifte. Een veiligheidsadvies kan nadien worden "
    "ingetrokken: controleer de actuele status altijd op de verificatiepagina.",
    "Cette attestation reflète l'avis à sa date de délivrance. Un avis de sécurité peut être retiré par la "
    "suite : vérifiez toujours le statut actuel sur la page de vérification.",
    "This certificate reflects the advice on its date of issue. A security advice can be revoked later: "
    "always check the current status on the verification page.",
)
ISSUED_ON = ("Uitgereikt op", "Délivré le", "Issued on")
SIGNATURE_LABEL = "Ed25519"
#: Printed before the token so the offline check can find it in the page text.
PRINTED_SIGNATURE_MARKER = "Token:"
