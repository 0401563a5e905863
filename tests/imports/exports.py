"""Contact exports as the systems our users leave write them, built by hand from their documentation:
their headers (repeated groups, numbering, snake_case), their date formats, phone numbers, country
names, tag lists and agreement words. Each file holds a few people, some of them awkward."""

import csv
import io


def csv_file(header: list[str], rows: list[list[str]], *, delimiter: str = ",", newline: str = "\n",
             bom: bool = False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")


# Google Contacts, "Google CSV" (2023 and later).
GOOGLE_HEADER = ["First Name", "Middle Name", "Last Name", "Nickname", "File As", "Organization Name",
                 "Organization Title", "Birthday", "Notes", "Labels", "E-mail 1 - Label", "E-mail 1 - Value",
                 "E-mail 2 - Label", "E-mail 2 - Value", "Phone 1 - Label", "Phone 1 - Value", "Phone 2 - Label",
                 "Phone 2 - Value", "Address 1 - Label", "Address 1 - Formatted", "Address 1 - Street",
                 "Address 1 - City", "Address 1 - Region", "Address 1 - Postal Code", "Address 1 - Country"]
GOOGLE = csv_file(GOOGLE_HEADER, [
    ["Anna", "", "Kowalska", "", "", "Acme Sp. z o.o.", "CFO", "1985-03-14", "", "* myContacts ::: Friends",
     "* Home", "anna.kowalska@example.com", "Work", "anna@acme.example", "Mobile", "+48 601 234 567", "Home",
     "22 123 45 67", "Home", "ul. Długa 5\n00-238 Warszawa\nPolska", "ul. Długa 5", "Warszawa", "mazowieckie",
     "00-238", "Polska"],
    ["John", "Q", "Public", "Johnny", "", "", "", "--04-01", "", "* myContacts", "* Work", "john.public@example.com",
     "", "", "Work", "(517) 782-7343 ext. 45", "", "", "Work", "1 Main St\nLansing, MI 48933", "1 Main St", "Lansing",
     "MI", "48933", "United States"],
])

# Outlook (classic), "Comma Separated Values" export.
OUTLOOK_HEADER = ["First Name", "Middle Name", "Last Name", "Title", "Suffix", "E-mail Address", "E-mail 2 Address",
                  "Mobile Phone", "Home Phone", "Business Phone", "Company", "Home Street", "Home City", "Home State",
                  "Home Postal Code", "Home Country/Region", "Birthday", "Gender", "Notes"]
OUTLOOK = csv_file(OUTLOOK_HEADER, [
    ["Mary", "", "Major", "", "", "mary.major@example.com", "mm@work.example", "", "+1 (206) 555-0142",
     "+1 425 555 0101", "Contoso", "12 Pine St", "Seattle", "WA", "98101", "United States of America", "1/29/1933",
     "Female", ""],
    ["Tomasz", "", "Nowak", "", "", "tomasz.nowak@example.com", "", "601 234 568", "", "", "", "Floriańska 3", "Kraków",
     "małopolskie", "31-019", "Poland", "12/24/1980", "Male", ""],
    ["Eve", "", "Empty", "", "", "eve.empty@example.com", "", "", "", "", "", "", "", "", "", "", "0/0/00",
     "Unspecified", ""],
], newline="\r\n")

# Mailchimp audience export ("subscribed" members).
MAILCHIMP_HEADER = ["Email Address", "First Name", "Last Name", "Address", "Phone Number", "Birthday", "MEMBER_RATING",
                    "OPTIN_TIME", "OPTIN_IP", "CONFIRM_TIME", "LATITUDE", "LONGITUDE", "GMTOFF", "DSTOFF", "TIMEZONE",
                    "CC", "REGION", "LAST_CHANGED", "LEID", "EUID", "NOTES", "TAGS"]
MAILCHIMP = csv_file(MAILCHIMP_HEADER, [
    ["ola@example.com", "Ola", "Nowicka", "", "-1199", "01/29", "2", "2021-03-04 10:11:12", "", "2021-03-04 10:12:00",
     "", "", "", "", "", "PL", "", "2024-01-02 03:04:05", "123", "abc", "", '"buyers","sy-waitlist-yes"'],
    ["sam@example.com", "Sam", "Smith", "", "001-345-767", "", "4", "2022-06-07 08:09:10", "", "", "", "", "", "",
     "", "US", "", "2024-01-02 03:04:05", "124", "abd", "", '"buyers"'],
])

# HubSpot, contacts export ("All properties" trimmed to the common ones).
HUBSPOT_HEADER = ["Record ID", "First Name", "Last Name", "Email", "Phone Number", "Mobile Phone Number",
                  "Street Address", "City", "State/Region", "Postal Code", "Country/Region", "Company Name",
                  "Date of birth", "Lifecycle Stage", "Create Date"]
HUBSPOT = csv_file(HUBSPOT_HEADER, [
    ["51", "Brian", "Halligan", "bh@hubspot.example", "(517) 782-7343 x123", "", "25 First St", "Cambridge", "MA",
     "02141", "United States", "HubSpot", "1967-05-06", "customer", "2020-01-01 10:00"],
    ["52", "Dharmesh", "Shah", "ds@hubspot.example", "", "+44 20 7946 0958", "", "London", "", "EC1A 1BB", "UK",
     "hubspot", "", "lead", "2020-01-02 10:00"],
])

# Salesforce, contacts report exported as CSV (US locale).
SALESFORCE_HEADER = ["Contact ID", "Account Name", "First Name", "Last Name", "Mailing Street", "Mailing City",
                     "Mailing State/Province", "Mailing Zip/Postal Code", "Mailing Country", "Phone", "Mobile", "Email",
                     "Birthdate", "Email Opt Out"]
SALESFORCE = csv_file(SALESFORCE_HEADER, [
    ["0035g00000AbCdE", "Edge Communications", "Rose", "Gonzalez", "313 Constitution Place", "Austin", "TX", "78767",
     "USA", "(512) 757-6000", "(512) 757-9340", "rose@edge.example", "5/14/1965", "0"],
    ["0035g00000AbCdF", "Grand Hotels", "Tim", "Barr", "2334 N. Michigan Avenue", "Chicago", "IL", "60601",
     "United States", "(312) 596-1000", "", "tim@grand.example", "11/3/1970", "1"],
])

# Shopify, customers export.
SHOPIFY_HEADER = ["Customer ID", "First Name", "Last Name", "Email", "Accepts Email Marketing",
                  "Default Address Company", "Default Address Address1", "Default Address Address2",
                  "Default Address City", "Default Address Province Code", "Default Address Country Code",
                  "Default Address Zip", "Default Address Phone", "Phone", "Accepts SMS Marketing", "Total Spent",
                  "Total Orders", "Note", "Tax Exempt", "Tags"]
SHOPIFY = csv_file(SHOPIFY_HEADER, [
    ["7023985623", "Karine", "Ruby", "karine.ruby@example.com", "yes", "", "2259 Park Ct", "Apt 3", "Drayton Valley",
     "AB", "CA", "T0E 0M0", "+1 780-555-0123", "+17805550199", "no", "123.40", "3", "", "no", "vip, wholesale"],
    ["7023985624", "Jan", "Kowalski", "jan.kowalski@example.com", "no", "Kowalski i Syn", "Piękna 1", "", "Warszawa",
     "", "PL", "00-001", "", "", "yes", "0.00", "0", "", "no", ""],
])

# Klaviyo, profiles export.
KLAVIYO_HEADER = ["Email", "Phone Number", "First Name", "Last Name", "Organization", "Title", "Address", "Address 2",
                  "City", "State / Region", "Country", "Zip Code", "Email Marketing Consent", "SMS Consent", "Klaviyo ID"]
KLAVIYO = csv_file(KLAVIYO_HEADER, [
    ["lea@example.com", "+33 6 12 34 56 78", "Léa", "Martin", "Boulangerie Martin", "", "3 Rue de Rivoli", "", "Paris",
     "Île-de-France", "France", "75001", "SUBSCRIBED", "NEVER_SUBSCRIBED", "01GDDKASAP8TKDDA2GRZDSVP4H"],
    ["otto@example.com", "", "Otto", "Müller", "", "", "Hauptstraße 1", "", "München", "Bayern", "Deutschland", "80331",
     "UNSUBSCRIBED", "SUBSCRIBED", "01GDDKASAP8TKDDA2GRZDSVP4J"],
])

# Synerise, profiles export.
SYNERISE_HEADER = ["custom_identify", "email", "first_name", "last_name", "phone", "city", "zipCode", "country_code",
                   "newsletter_agreement", "receive_smses", "sex", "birthdate", "company", "anonymous_type"]
SYNERISE = csv_file(SYNERISE_HEADER, [
    ["CRM-001", "marta@example.com", "Marta", "Wiśniewska", "+48 512 345 678", "Gdańsk", "80-001", "PL", "enabled",
     "disabled", "FEMALE", "1990-07-01", "Nord Sp. z o.o.", "recognized"],
    ["CRM-002", "piotr@example.com", "Piotr", "Zieliński", "512 345 679", "Poznań", "60-001", "PL", "disabled",
     "enabled", "MALE", "1988-02-29", "NORD SP. Z O.O.", "recognized"],
])

# Mautic, contacts export.
MAUTIC_HEADER = ["id", "firstname", "lastname", "company", "email", "mobile", "phone", "address1", "address2", "city",
                 "state", "zipcode", "country", "points", "tags"]
MAUTIC = csv_file(MAUTIC_HEADER, [
    ["101", "Chile", "Person", "", "chile@example.com", "+56 9 6123 4567", "", "Av. Providencia 1", "", "Santiago",
     "Región Metropolitana", "7500000", "Chile", "10", "lead|webinar"],
    ["102", "Aussie", "Person", "", "aussie@example.com", "0412 345 678", "", "1 George St", "", "Sydney", "NSW",
     "2000", "Australia", "0", ""],
])

# CiviCRM, contacts export ("Export all fields" trimmed).
CIVICRM_HEADER = ["Contact ID", "Contact Type", "First Name", "Last Name", "Gender", "Birth Date", "Street Address",
                  "City", "Postal Code", "State", "Country", "Phone", "Email", "External Identifier", "Do Not Email",
                  "Current Employer"]
CIVICRM = csv_file(CIVICRM_HEADER, [
    ["202", "Individual", "Kiara", "Jones", "Female", "1933-01-29 00:00:00", "8 Oak Ave", "Lansing", "48933",
     "Michigan", "United States", "517-555-0177", "kiara@example.com", "EXT-9", "1", "Lansing Tools"],
])

# OroCRM, contacts export.
ORO_HEADER = ["Id", "First name", "Last name", "Gender", "Birthday", "Emails 1 Email", "Phones 1 Phone",
              "Primary Address Street", "Primary Address City", "Primary Address Zip/Postal code",
              "Primary Address Country ISO2 code", "Tags"]
ORO = csv_file(ORO_HEADER, [
    ["7", "Hans", "Berger", "male", "29.01.1933", "hans@example.com", "+49 30 901820", "Unter den Linden 1", "Berlin",
     "10117", "DE", "partner;vip"],
])

# A file re-saved by Excel in Poland: BOM, semicolons, CRLF, dates as dd.mm.yyyy.
EXCEL_PL = csv_file(["E-mail", "Imię", "Given Name", "Surname", "Telefon", "Country", "Birthday", "Last Name",
                     "Last Name"],
                    [["zofia@example.com", "Zofia", "Zofia", "Lis", "601 234 569", "Polska", "29.01.1933", "Lis",
                      "Lisowska"],
                     ["adam@example.com", "Adam", "Adam", "Mak", "+48 601 234 570", "Poland", "13.12.1999", "Mak", ""]],
                    delimiter=";", newline="\r\n", bom=True)
