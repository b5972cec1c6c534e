// The sample provider's words in Romanian, Russian and English: its own
// pages, the names of the OpenID Connect claims it shows, and the values
// that read better as words (gender, language, level of assurance).

export const kLangs = ['ro', 'ru', 'en'];

export const texts = {
  ro: {
    service: 'Serviciul demonstrativ',
    button: 'Conectare cu certME',
    intro: 'Un site de exemplu care își conectează utilizatorii cu portofelul certME.',
    language: 'Limba',
    welcome: (name) => (name ? `Bine ați venit, ${name}!` : 'Bine ați venit!'),
    signedIn: 'Sunteți autentificat cu certME.',
    validated: 'Datele validate de certME pe care le-a primit serviciul:',
    loa: 'Nivel de asigurare',
    signedInAt: 'Autentificat la',
    logout: 'Ieșire',
    technical: 'Detalii tehnice (pentru dezvoltatori)',
    claim: 'Revendicare',
    value: 'Valoare',
    notFound: 'Pagina nu există.',
    home: 'Înapoi la pagina principală',
    retry: 'Încercați din nou',
    refusedTitle: 'Nu v-ați conectat',
    refused: 'Ați refuzat conectarea în portofel. Serviciul nu a primit nicio dată despre dvs.',
    expiredTitle: 'Conectarea a expirat',
    expired: 'Conectarea a durat prea mult sau a fost deja folosită. Nu s-a transmis nicio dată.',
    unmetTitle: 'Nivel de asigurare insuficient',
    unmet: 'Identitatea dvs. electronică nu are nivelul de asigurare cerut de acest serviciu.',
    unavailableTitle: 'certME nu este disponibil acum',
    unavailable: 'Serviciul de conectare nu a putut răspunde. Încercați din nou peste câteva momente.',
    failedTitle: 'Conectarea nu a reușit',
    failed: 'Conectarea nu a putut fi finalizată. Serviciul nu a primit nicio dată despre dvs.',
    errorCode: 'Cod pentru asistență',
    qrLink: 'Sau conectați-vă cu codul QR chiar pe această pagină',
    qrTitle: 'Conectare cu codul QR pe pagina serviciului',
    qrIntro: 'Apăsați butonul, apoi scanați codul QR cu portofelul certME. Pagina continuă singură.',
  },
  ru: {
    service: 'Демонстрационный сервис',
    button: 'Войти через certME',
    intro: 'Пример сайта, пользователи которого входят с помощью кошелька certME.',
    language: 'Язык',
    welcome: (name) => (name ? `Добро пожаловать, ${name}!` : 'Добро пожаловать!'),
    signedIn: 'Вы вошли через certME.',
    validated: 'Данные, подтверждённые certME, которые получил сервис:',
    loa: 'Уровень доверия',
    signedInAt: 'Время входа',
    logout: 'Выйти',
    technical: 'Технические сведения (для разработчиков)',
    claim: 'Утверждение',
    value: 'Значение',
    notFound: 'Страница не существует.',
    home: 'Вернуться на главную страницу',
    retry: 'Попробовать снова',
    refusedTitle: 'Вход не выполнен',
    refused: 'Вы отказались от входа в кошельке. Сервис не получил никаких данных о вас.',
    expiredTitle: 'Время входа истекло',
    expired: 'Вход занял слишком много времени или уже был использован. Данные не передавались.',
    unmetTitle: 'Недостаточный уровень доверия',
    unmet: 'Ваша электронная личность не имеет уровня доверия, который требует этот сервис.',
    unavailableTitle: 'certME сейчас недоступен',
    unavailable: 'Служба входа не ответила. Попробуйте снова через несколько минут.',
    failedTitle: 'Вход не удался',
    failed: 'Вход не удалось завершить. Сервис не получил никаких данных о вас.',
    errorCode: 'Код для службы поддержки',
    qrLink: 'Или войдите по QR-коду прямо на этой странице',
    qrTitle: 'Вход по QR-коду на странице сервиса',
    qrIntro: 'Нажмите кнопку, затем отсканируйте QR-код кошельком certME. Страница продолжит сама.',
  },
  en: {
    service: 'Demo service',
    button: 'Sign in with certME',
    intro: 'A sample site whose users sign in with the certME wallet.',
    language: 'Language',
    welcome: (name) => (name ? `Welcome, ${name}!` : 'Welcome!'),
    signedIn: 'You are signed in with certME.',
    validated: 'The data certME validated and the service received:',
    loa: 'Level of assurance',
    signedInAt: 'Signed in at',
    logout: 'Sign out',
    technical: 'Technical details (for developers)',
    claim: 'Claim',
    value: 'Value',
    notFound: 'There is no such page.',
    home: 'Back to the start page',
    retry: 'Try again',
    refusedTitle: 'You did not sign in',
    refused: 'You refused to sign in in the wallet. The service received no data about you.',
    expiredTitle: 'The sign-in expired',
    expired: 'The sign-in took too long or was already used. No data was shared.',
    unmetTitle: 'Level of assurance too low',
    unmet: 'Your electronic identity does not have the level of assurance this service requires.',
    unavailableTitle: 'certME is not available right now',
    unavailable: 'The sign-in service could not answer. Try again in a few moments.',
    failedTitle: 'The sign-in did not succeed',
    failed: 'The sign-in could not be completed. The service received no data about you.',
    errorCode: 'Code to quote to support',
    qrLink: 'Or sign in with the QR code right on this page',
    qrTitle: 'Sign in with the QR code on the service’s page',
    qrIntro: 'Press the button, then scan the QR code with the certME wallet. The page continues by itself.',
  },
};

// The claims a person reads, in the order shown, with their names.
export const claimLabels = {
  given_name: { ro: 'Prenume', ru: 'Имя', en: 'First name' },
  family_name: { ro: 'Nume', ru: 'Фамилия', en: 'Last name' },
  birthdate: { ro: 'Data nașterii', ru: 'Дата рождения', en: 'Date of birth' },
  gender: { ro: 'Sex', ru: 'Пол', en: 'Gender' },
  locale: { ro: 'Limba', ru: 'Язык', en: 'Language' },
  email: { ro: 'E-mail', ru: 'Эл. почта', en: 'Email' },
  phone_number: { ro: 'Telefon mobil', ru: 'Мобильный телефон', en: 'Mobile phone' },
  idnp: { ro: 'IDNP', ru: 'IDNP', en: 'IDNP' },
  address: { ro: 'Adresa', ru: 'Адрес', en: 'Address' },
};

const valueWords = {
  gender: {
    male: { ro: 'masculin', ru: 'мужской', en: 'male' },
    female: { ro: 'feminin', ru: 'женский', en: 'female' },
  },
  locale: {
    ro: { ro: 'română', ru: 'румынский', en: 'Romanian' },
    ru: { ro: 'rusă', ru: 'русский', en: 'Russian' },
    en: { ro: 'engleză', ru: 'английский', en: 'English' },
  },
};

// The eIDAS levels the bridge reports in `acr`.
const loaWords = {
  'http://eidas.europa.eu/LoA/low': { ro: 'scăzut', ru: 'низкий', en: 'low' },
  'http://eidas.europa.eu/LoA/substantial': { ro: 'substanțial', ru: 'существенный', en: 'substantial' },
  'http://eidas.europa.eu/LoA/high': { ro: 'înalt', ru: 'высокий', en: 'high' },
};

// A claim's value as a person reads it (a date in the page's language, a
// word instead of a code); the value itself when there is no better word.
export function readableValue(claim, value, lang) {
  if (claim === 'address' && value && typeof value === 'object') return String(value.formatted ?? JSON.stringify(value));
  if (typeof value === 'object') return JSON.stringify(value);
  const word = valueWords[claim]?.[String(value)]?.[lang];
  if (word) return word;
  if (claim === 'birthdate' && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const d = new Date(`${value}T00:00:00Z`);
    if (!Number.isNaN(d.getTime())) return new Intl.DateTimeFormat(lang, { dateStyle: 'long', timeZone: 'UTC' }).format(d);
  }
  return String(value);
}

export function loaText(acr, lang) {
  return loaWords[acr]?.[lang] ?? acr ?? '';
}

// The language a request asks for: `lang` in the query, else the browser's
// Accept-Language (first supported language), else Romanian.
export function pickLang(queryLang, acceptLanguage) {
  if (kLangs.includes(queryLang)) return queryLang;
  const tags = String(acceptLanguage ?? '')
    .split(',')
    .map((part) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)).find(Boolean);
      return { lang: tag.trim().slice(0, 2).toLowerCase(), q: q ? Number(q[1]) : 1 };
    })
    .filter((t) => t.q > 0 && kLangs.includes(t.lang))
    .sort((a, b) => b.q - a.q);
  return tags[0]?.lang ?? 'ro';
}
