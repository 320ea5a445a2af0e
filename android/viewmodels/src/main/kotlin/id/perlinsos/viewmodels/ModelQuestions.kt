// The questionnaire of a PMT model the district sent. The bindings give its questions
// (pmtQuestions); the model file alone says which answers the core derives from the draft
// (household size, province), and those are not asked. org.json and kotlinx-serialization are
// not available to this pure-Kotlin module, hence the small reader below.
package id.perlinsos.viewmodels

import uniffi.perlinsos_ffi.PmtModelInfo
import uniffi.perlinsos_ffi.pmtQuestions

data class ModelItem(val id: String, val version: Int, val title: String, val source: String)

data class QuestionItem(
    val id: String,
    /** In Bahasa Indonesia, as the model words it. */
    val label: String,
    /** "count", "number", "choice" or "yes_no". */
    val kind: String,
    val options: List<ChoiceItem>,
    val min: Double?,
    val max: Double?,
    val required: Boolean,
    val help: String?,
)

/** The questions the agent asks, in the model's order. */
fun questionsToAsk(model: PmtModelInfo): List<QuestionItem> {
    val derived = derivedQuestionIds(model.json)
    return pmtQuestions(model.json).filter { it.id !in derived }.map { q ->
        QuestionItem(q.id, q.label, q.kind, q.options.map { ChoiceItem(it.id, it.label) }, q.min, q.max, q.required, q.help)
    }
}

internal fun derivedQuestionIds(modelJson: String): Set<String> {
    val model = JsonReader(modelJson).document() as? Map<*, *> ?: return emptySet()
    val questions = model["questions"] as? List<*> ?: return emptySet()
    return questions.mapNotNull { q ->
        (q as? Map<*, *>)?.takeIf { it["derived"] != null }?.get("id") as? String
    }.toSet()
}

/** JSON to Map / List / String / Double / Boolean / null; throws IllegalArgumentException on bad input. */
internal class JsonReader(private val text: String) {
    private var pos = 0

    fun document(): Any? {
        val value = value()
        space()
        require(pos == text.length) { "JSON: text after the value at $pos" }
        return value
    }

    private fun value(): Any? {
        space()
        require(pos < text.length) { "JSON: unexpected end" }
        return when (text[pos]) {
            '{' -> obj()
            '[' -> array()
            '"' -> string()
            't' -> word("true", true)
            'f' -> word("false", false)
            'n' -> word("null", null)
            else -> number()
        }
    }

    private fun obj(): Map<String, Any?> {
        val map = LinkedHashMap<String, Any?>()
        pos++
        if (peek() == '}') return map.also { pos++ }
        while (true) {
            space()
            val key = string()
            expect(':')
            map[key] = value()
            if (peek() == ',') pos++ else break
        }
        expect('}')
        return map
    }

    private fun array(): List<Any?> {
        val list = ArrayList<Any?>()
        pos++
        if (peek() == ']') return list.also { pos++ }
        while (true) {
            list.add(value())
            if (peek() == ',') pos++ else break
        }
        expect(']')
        return list
    }

    private fun string(): String {
        expect('"')
        val out = StringBuilder()
        while (true) {
            require(pos < text.length) { "JSON: unterminated string" }
            when (val c = text[pos++]) {
                '"' -> return out.toString()
                '\\' -> {
                    require(pos < text.length) { "JSON: unterminated escape" }
                    when (val e = text[pos++]) {
                        'n' -> out.append('\n')
                        't' -> out.append('\t')
                        'r' -> out.append('\r')
                        'b' -> out.append('\b')
                        'f' -> out.append('\u000C')
                        'u' -> {
                            require(pos + 4 <= text.length) { "JSON: short \\u escape" }
                            out.append(text.substring(pos, pos + 4).toInt(16).toChar())
                            pos += 4
                        }
                        else -> out.append(e)
                    }
                }
                else -> out.append(c)
            }
        }
    }

    private fun number(): Double {
        val start = pos
        while (pos < text.length && text[pos] in "+-0123456789.eE") pos++
        return text.substring(start, pos).toDoubleOrNull() ?: throw IllegalArgumentException("JSON: bad value at $start")
    }

    private fun word(word: String, value: Any?): Any? {
        require(text.startsWith(word, pos)) { "JSON: bad value at $pos" }
        pos += word.length
        return value
    }

    private fun peek(): Char? {
        space()
        return text.getOrNull(pos)
    }

    private fun expect(c: Char) {
        require(peek() == c) { "JSON: expected '$c' at $pos" }
        pos++
    }

    private fun space() {
        while (pos < text.length && text[pos].isWhitespace()) pos++
    }
}
