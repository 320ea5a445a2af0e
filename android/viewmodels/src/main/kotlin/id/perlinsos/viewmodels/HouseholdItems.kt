// Immutable copies of what the core returns about a household (the generated records have
// mutable fields), with the Indonesian labels of the core's choice ids.
package id.perlinsos.viewmodels

import uniffi.perlinsos_ffi.HouseholdForm
import uniffi.perlinsos_ffi.HouseholdView
import uniffi.perlinsos_ffi.MemberForm
import uniffi.perlinsos_ffi.MemberView
import uniffi.perlinsos_ffi.RegistrationChoices
import uniffi.perlinsos_ffi.Choice as CoreChoice

data class ChoiceItem(val id: String, val label: String)

/** The household form's answer lists as the core offers them. */
data class FormChoices(
    val sex: List<ChoiceItem>,
    val relation: List<ChoiceItem>,
    val marital: List<ChoiceItem>,
    val education: List<ChoiceItem>,
    val disability: List<ChoiceItem>,
    val ikd: List<ChoiceItem>,
) {
    companion object {
        fun of(c: RegistrationChoices): FormChoices {
            fun items(list: List<CoreChoice>) = list.map { ChoiceItem(it.id, it.label) }
            return FormChoices(
                items(c.sex), items(c.relation), items(c.marital),
                items(c.education), items(c.disability), items(c.ikd),
            )
        }
    }
}

/** The label of a choice id, or the id itself for one this app version does not know. */
fun List<ChoiceItem>.labelOf(id: String?): String? = id?.let { wanted -> firstOrNull { it.id == wanted }?.label ?: wanted }

data class HouseholdFields(
    val kk: String,
    val kelurahanCode: String,
    val rt: Int,
    val rw: Int,
    val street: String,
) {
    fun toForm() = HouseholdForm(kk, kelurahanCode, rt.toUShort(), rw.toUShort(), street)

    companion object {
        fun of(f: HouseholdForm) = HouseholdFields(f.kk, f.kelurahanCode, f.rt.toInt(), f.rw.toInt(), f.street)
    }
}

data class MemberItem(
    val id: String,
    /** Position in the draft: the core names a member's fields "members[index].field". */
    val index: Int,
    val nik: String,
    val fullName: String,
    val relation: String,
    val sex: String,
    val birthDate: String,
    val marital: String,
    val education: String,
    val occupation: String,
    val disability: String,
    /** The IKD status id, once recorded. */
    val ikd: String?,
) {
    fun toForm() = MemberForm(nik, fullName, relation, sex, birthDate, marital, education, occupation, disability)

    companion object {
        fun of(index: Int, m: MemberView) = m.form.let { f ->
            MemberItem(
                m.id, index, f.nik, f.fullName, f.relation, f.sex, f.birthDate, f.marital,
                f.education, f.occupation, f.disability, m.ikd,
            )
        }
    }
}

data class HouseholdSummary(
    val id: String,
    val kelurahanCode: String,
    val rt: Int,
    val rw: Int,
    val street: String,
    val members: List<MemberItem>,
    val preview: PreviewSummary?,
    val registeredAtMs: Long,
) {
    companion object {
        fun of(h: HouseholdView) = HouseholdSummary(
            h.id, h.kelurahanCode, h.rt.toInt(), h.rw.toInt(), h.street,
            h.members.mapIndexed(MemberItem::of), h.pmt?.let(PreviewSummary::of), h.registeredAtMs,
        )
    }
}
