// Writes message_sent.jsonl: 20 Pusher messages as soketi relays a Laravel broadcast of
// `App\Events\MessageSent` (one message per line, ~300 bytes each, UTF-8 chat text).
//
//   node bench/data/generate.mjs > bench/data/message_sent.jsonl
//
// Deterministic: the same file every run. The envelope keeps soketi's member order
// (event, channel, data) and `data` is a JSON string, as the HTTP API delivers it. Every
// fourth payload escapes non-ASCII as \uXXXX (PHP's json_encode default); the others
// carry raw UTF-8 (JSON_UNESCAPED_UNICODE, or a Node publisher).
const texts = [
  ['Ana', 'Hi all! The deploy went fine, dashboards are green again. Coffee is on me today.'],
  ['Zoë', 'Très bien, on se retrouve à 14 h devant le café près de la gare ? À tout à l’heure !'],
  ['Jürgen', 'Grüße aus München! Die Brücke über die Isar ist wieder offen, endlich. Schönes Wochenende.'],
  ['Lucía', '¿Alguien vio el partido anoche? ¡Qué golazo en el último minuto! Mañana lo comentamos.'],
  ['さくら', '明日の会議は十時からです。資料は共有フォルダに置きました。よろしくお願いします。'],
  ['李伟', '我们今天晚上七点在老地方吃饭，别忘了带上那本书。路上注意安全！'],
  ['Дмитрий', 'Привет! Отчёт готов, посмотри, пожалуйста, до пятницы. Спасибо заранее.'],
  ['Νίκος', 'Καλημέρα! Η συνάντηση μεταφέρθηκε για την Πέμπτη στις δέκα. Τα λέμε εκεί.'],
  ['ليلى', 'مرحبا بالجميع! الاجتماع غدا في الساعة العاشرة صباحا. لا تنسوا التقرير.'],
  ['प्रिया', 'नमस्ते! कल की बैठक दस बजे है। कृपया रिपोर्ट समय पर भेज दें। धन्यवाद!'],
  ['Sam', 'Shipping it 🚀🎉 thanks everyone for the reviews 🙏 next up: the mobile build 📱✨'],
  ['João', 'Olá! Amanhã não poderei ir à reunião, mas envio as notas até ao meio-dia. Obrigado!'],
  ['Łukasz', 'Cześć! Zażółć gęślą jaźń — testujemy polskie znaki. Spotkanie w środę o dziesiątej.'],
  ['Ayşe', 'Günaydın! Toplantı yarın saat onda, lütfen raporu getirmeyi unutmayın. Görüşürüz.'],
  ['지민', '안녕하세요! 내일 회의는 오전 열 시에 시작합니다. 자료는 공유 폴더에 있어요.'],
  ['Minh', 'Chào mọi người! Cuộc họp ngày mai lúc mười giờ sáng. Nhớ mang báo cáo nhé.'],
  ['נועה', 'שלום לכולם! הפגישה מחר בשעה עשר בבוקר. אל תשכחו להביא את הדוח.'],
  ['Tomáš', 'Ahoj! Zítřejší schůzka začíná v deset. Příliš žluťoučký kůň úpěl ďábelské ódy.'],
  ['Åsa', 'Hej! Mötet i morgon börjar klockan tio. Glöm inte rapporten, och ta med fika.'],
  ['Олена', 'Привіт! Завтрашня зустріч о десятій. Не забудьте звіт, будь ласка. Дякую!'],
];

const escapeNonAscii = (json) =>
  json.replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));

// Texts are cut (at a space when there is one, else at a character) to keep each line
// near 300 bytes, as a short chat line makes.
const kMaxLine = 320;

function line([name, text], i) {
  const userId = 100 + i * 7;
  const conversation = 1 + (i % 5);
  const payload = {
    message: {
      id: 48213 + i,
      conversation_id: conversation,
      user_id: userId,
      body: text,
      created_at: `2024-05-01T12:${String(10 + i).padStart(2, '0')}:0${i % 10}.000000Z`,
    },
    user: { id: userId, name },
    socket: null,
  };
  let data = JSON.stringify(payload);
  if (i % 4 === 1) data = escapeNonAscii(data);
  return JSON.stringify({
    event: 'App\\Events\\MessageSent',
    channel: `chat.${conversation}`,
    data,
  });
}

const lines = texts.map((entry, i) => {
  let [name, text] = entry;
  let out = line([name, text], i);
  while (Buffer.byteLength(out) > kMaxLine && text.length > 8) {
    const chars = Array.from(text);
    const cut = text.lastIndexOf(' ');
    text = (cut > 8 && chars.length > 24 ? text.slice(0, cut) : chars.slice(0, -1).join('')).trimEnd();
    out = line([name, text], i);
  }
  return out;
});
process.stdout.write(lines.join('\n') + '\n');
